using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Mock;

/// <summary>The mock's Anthropic Messages route: Anthropic's checks and errors, its exact stream sequence, and the socket faults.</summary>
public sealed class MessagesEndpointTests(MockServerFixture mock) : IClassFixture<MockServerFixture>
{
    private const string Version = "anthropic-version: 2023-06-01\r\n";

    [Theory]
    [InlineData(null, "anthropic-version: header is required")]
    [InlineData("2024-99-99", "anthropic-version: invalid version '2024-99-99'")]
    public async Task AMissingOrUnknownVersionIsA400InAnthropicsShape(string? version, string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(Body()) };
        if (version is not null)
        {
            request.Headers.Add("anthropic-version", version);
        }

        using var response = await mock.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("error", error!["type"]!.GetValue<string>());
        Assert.Equal(("invalid_request_error", message), (error["error"]!["type"]!.GetValue<string>(), error["error"]!["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task TheNewerVersionRefusesTemperature()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(Body(extra: new { temperature = 0.5 })) };
        request.Headers.Add("anthropic-version", "2026-10-21");

        using var response = await mock.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("temperature", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStreamFollowsAnthropicsEventSequenceWithConsecutiveBlocksAndCumulativeUsage()
    {
        var body = Body(stream: true, extra: new
        {
            thinking = new { type = "enabled", budget_tokens = 1024 },
            tools = new object[] { new { name = "noop", input_schema = new { type = "object" } } },
            mock = new { tool_calls = 1, cache_read_input_tokens = 7 },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(body) };
        request.Headers.Add("anthropic-version", "2023-06-01");

        using var response = await mock.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => JsonNode.Parse(e[(e.IndexOf("data: ", StringComparison.Ordinal) + 6)..])!.AsObject()).ToList();
        var types = events.Select(e => e["type"]!.GetValue<string>()).Where(t => t != "content_block_delta").ToList();
        Assert.Equal(
            ["message_start", "ping", "content_block_start", "content_block_stop", "content_block_start", "content_block_stop",
                "content_block_start", "content_block_stop", "message_delta", "message_stop"],
            types);
        Assert.Equal([0, 1, 2], events.Where(e => e["type"]!.GetValue<string>() == "content_block_start").Select(e => e["index"]!.GetValue<int>()));
        Assert.Equal(["thinking", "text", "tool_use"], events.Where(e => e["type"]!.GetValue<string>() == "content_block_start").Select(e => e["content_block"]!["type"]!.GetValue<string>()));
        var start = events[0]["message"]!["usage"]!;
        var end = events[^2]["usage"]!;
        Assert.Equal(1, start["output_tokens"]!.GetValue<int>());
        Assert.Equal(7, end["cache_read_input_tokens"]!.GetValue<int>());
        Assert.Equal(start["input_tokens"]!.GetValue<int>(), end["input_tokens"]!.GetValue<int>());
        Assert.Equal("tool_use", events[^2]["delta"]!["stop_reason"]!.GetValue<string>());

        // Thinking (4 tokens), the text (5) and the tool's name and input.
        Assert.Equal(4 + 5 + MockTokenCount.CountText("noop") + MockTokenCount.CountText("{}"), end["output_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task AWrongKeyIsA401InAnthropicsShape()
    {
        await using var app = MockProviderServer.Create(new MockProviderOptions { Url = "http://127.0.0.1:0", ApiKey = "sk-right" });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = app.GetBaseAddress() };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(Body()) };
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.Add("x-api-key", "sk-wrong");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("authentication_error", error!["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnInjected529IsAnOverloadedErrorInAnthropicsShape()
    {
        var (deployment, prefix) = mock.NewDeployment();
        deployment.Faults.Enqueue(new MockFault { Status = 529 });

        using var request = new HttpRequestMessage(HttpMethod.Post, prefix + "/v1/messages") { Content = JsonContent.Create(Body()) };
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await mock.Http.SendAsync(request);

        Assert.Equal(529, (int)response.StatusCode);
        Assert.Equal("overloaded_error", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!["type"]!.GetValue<string>());
        Assert.Equal(0, deployment.Stats.Requests);
    }

    [Fact]
    public async Task ResetMidBodyOnAStreamSendsTheDeltasThenResets()
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"reset_mid_body","cut_after_chunks":2}""");

        using var raw = await RawHttp.PostAsync(mock.BaseAddress, prefix + "/v1/messages", System.Text.Json.JsonSerializer.Serialize(Body(stream: true, maxTokens: 10)), Version);

        Assert.Equal(SocketError.ConnectionReset, await raw.ReadToEndAsync());
        Assert.Equal(2, RawHttp.Count(raw.Received, "event: content_block_delta"));
        Assert.DoesNotContain("message_stop", raw.Received, StringComparison.Ordinal);
        await Eventually.HoldsAsync(
            () => Task.FromResult(deployment.Stats.Requests == 1 && deployment.Stats.CompletionTokens == 2),
            "the reset stream is counted with the two deltas it sent");
    }

    [Fact]
    public async Task ResetMidBodyOnAMessageSendsHalfTheBodyThenResets()
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"reset_mid_body"}""");

        using var raw = await RawHttp.PostAsync(mock.BaseAddress, prefix + "/v1/messages", System.Text.Json.JsonSerializer.Serialize(Body()), Version);

        Assert.Equal(SocketError.ConnectionReset, await raw.ReadToEndAsync());
        Assert.StartsWith("HTTP/1.1 200", raw.Received);
        Assert.Equal(0, deployment.Stats.Requests);
    }

    private static Dictionary<string, object> Body(bool stream = false, int maxTokens = 5, object? extra = null)
    {
        var body = new Dictionary<string, object>
        {
            ["model"] = "claude-test",
            ["max_tokens"] = maxTokens,
            ["messages"] = new object[] { new { role = "user", content = "Hello" } },
            ["stream"] = stream,
        };
        if (extra is not null)
        {
            foreach (var property in System.Text.Json.JsonSerializer.SerializeToNode(extra)!.AsObject())
            {
                body[property.Key] = property.Value!;
            }
        }

        return body;
    }
}
