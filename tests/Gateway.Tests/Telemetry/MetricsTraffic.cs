using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// Known traffic for the metrics tests: completions, streams, a cache hit, a retried provider failure and a refusal; and
/// apart, tokens of every kind the ledger records (reasoning, cache reads, cache writes kept 5 minutes and an hour).
/// </summary>
public static class MetricsTraffic
{
    /// <summary>Sends a mix of requests as <paramref name="key"/>'s tenant (whose cache must be on for the hit).</summary>
    public static async Task SendAsync(GatewayFactory gateway, string key)
    {
        using var client = gateway.CreateTenantClient(key);
        for (var i = 0; i < 3; i++)
        {
            await ExpectAsync(client, new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 5 + i }, HttpStatusCode.OK);
        }

        var stream = new { model = "gpt-4.1", messages = ChatBodies.Messages("Stream it"), max_tokens = 7, stream = true, stream_options = new { include_usage = true } };
        await ExpectAsync(client, stream, HttpStatusCode.OK);
        await ExpectAsync(client, stream with { max_tokens = 4 }, HttpStatusCode.OK);

        // The same deterministic request twice: the second is a cache hit.
        var deterministic = new { model = "gpt-4.1", messages = ChatBodies.Messages("Cache me"), max_tokens = 3, temperature = 0 };
        await ExpectAsync(client, deterministic, HttpStatusCode.OK);
        await ExpectAsync(client, deterministic, HttpStatusCode.OK);

        // The provider fails once: the gateway retries and serves.
        gateway.MockFaults.Enqueue(new MockProvider.MockFault { Status = 500 });
        await ExpectAsync(client, new { model = "gpt-4.1", messages = ChatBodies.Messages("Retry me"), max_tokens = 2 }, HttpStatusCode.OK);

        await ExpectAsync(client, new { model = "no-such-model", messages = ChatBodies.Messages() }, HttpStatusCode.NotFound);
    }

    /// <summary>
    /// Tokens priced apart, on a gateway with the built-in catalog: reasoning within an OpenAI answer's output; cache reads
    /// and writes (kept 5 minutes and an hour) within a native Anthropic answer's input. Two ledger entries.
    /// </summary>
    public static async Task SendPricedApartAsync(GatewayFactory gateway, string key)
    {
        using var client = gateway.CreateTenantClient(key);
        await ExpectAsync(client, new { model = "gpt-4.1", messages = ChatBodies.Messages("Think first"), max_tokens = 4, mock = new { reasoning_tokens = 3 } }, HttpStatusCode.OK);
        await ExpectMessagesAsync(client, new
        {
            model = "claude-sonnet-4.5",
            max_tokens = 6,
            messages = ChatBodies.Messages("Cache my system prompt"),
            mock = new { completion_tokens = 4, cache_read_input_tokens = 40, cache_creation_input_tokens = 10, ephemeral_1h_input_tokens = 6 },
        });
    }

    /// <summary>A request to the Anthropic Messages API, answered 200.</summary>
    public static async Task ExpectMessagesAsync(HttpClient client, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(body) };
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200 from /v1/messages, got {(int)response.StatusCode}: {text}");
    }

    public static async Task ExpectAsync(HttpClient client, object body, HttpStatusCode expected)
    {
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
    }
}
