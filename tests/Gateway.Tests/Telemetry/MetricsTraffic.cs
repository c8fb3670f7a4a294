using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Telemetry;

/// <summary>Known traffic for the metrics tests: completions, streams, a cache hit, a retried provider failure and a refusal.</summary>
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

    public static async Task ExpectAsync(HttpClient client, object body, HttpStatusCode expected)
    {
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
    }
}
