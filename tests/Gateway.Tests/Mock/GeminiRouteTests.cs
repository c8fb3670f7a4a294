using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Microsoft.AspNetCore.Builder;

namespace Gateway.Tests.Mock;

/// <summary>
/// The mock's Gemini routes seen from a bare client: the key in <c>x-goog-api-key</c> (errors in Gemini's shape),
/// deterministic <c>usageMetadata</c>, CRLF-framed events without an end event, and the socket-level faults.
/// </summary>
public sealed class GeminiRouteTests : IAsyncLifetime
{
    private const string Key = "mock-gemini-key";

    /// <summary>The tokens of thought the mock reports whenever a thinking budget is set.</summary>
    private const int ThoughtTokens = 4;
    private const string Path = "/v1beta/models/gemini-2.5-flash:generateContent";
    private const string StreamPath = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
    private WebApplication? _app;
    private Uri _base = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _app = MockProviderServer.Create(new MockProviderOptions { Url = "http://127.0.0.1:0", ApiKey = Key });
        await _app.StartAsync();
        _base = _app.GetBaseAddress();
        _http = new HttpClient { BaseAddress = _base, Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(null, 403, "PERMISSION_DENIED")]
    [InlineData("wrong", 401, "UNAUTHENTICATED")]
    public async Task AMissingOrWrongKeyIsRefusedInGeminisErrorShape(string? key, int status, string rpcStatus)
    {
        using var response = await PostAsync(Path, Body(), key);

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(status, error["code"]!.GetValue<int>());
        Assert.Equal(rpcStatus, error["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AnAnswerReportsCachedAndThoughtTokensAndFunctionCallsWithStop()
    {
        var body = Body(
            extra: """
                ,"systemInstruction":{"parts":[{"text":"mock: {\"tool_calls\": 1, \"cache_read_input_tokens\": 30}"}]},
                "tools":[{"functionDeclarations":[{"name":"get_time","parameters":{"type":"object","properties":{"zone":{"type":"string"}}}}]}],
                "generationConfig":{"maxOutputTokens":3,"thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}}
                """);
        using var response = await PostAsync(Path, body, Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var candidate = answer["candidates"]![0]!;
        Assert.Equal("STOP", candidate["finishReason"]!.GetValue<string>());
        var parts = candidate["content"]!["parts"]!.AsArray();
        Assert.True(parts[0]!["thought"]!.GetValue<bool>());
        Assert.Equal(MockUsage.CompletionText(3), parts[1]!["text"]!.GetValue<string>());
        Assert.Equal("get_time", parts[2]!["functionCall"]!["name"]!.GetValue<string>());
        Assert.Equal("""{"zone":"Zürich \"0\""}""", parts[2]!["functionCall"]!["args"]!.ToJsonString(new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        var usage = answer["usageMetadata"]!;
        Assert.Equal(30, usage["cachedContentTokenCount"]!.GetValue<int>());
        Assert.Equal(ThoughtTokens, usage["thoughtsTokenCount"]!.GetValue<int>());
        Assert.InRange(usage["promptTokenCount"]!.GetValue<int>(), 31, int.MaxValue);
        Assert.Equal(
            usage["promptTokenCount"]!.GetValue<int>() + usage["candidatesTokenCount"]!.GetValue<int>() + ThoughtTokens,
            usage["totalTokenCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task AStreamIsFramedWithCrlfCarriesTheRunningUsageAndEndsWithoutAnEndEvent()
    {
        using var response = await PostAsync(StreamPath, Body(extra: ""","generationConfig":{"maxOutputTokens":3}"""), Key);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var events = text.Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, events.Length);
        Assert.All(events, e => Assert.StartsWith("data: {", e));
        var last = JsonNode.Parse(events[^1]["data: ".Length..])!;
        Assert.Equal("STOP", last["candidates"]![0]!["finishReason"]!.GetValue<string>());
        Assert.Equal(3, last["usageMetadata"]!["candidatesTokenCount"]!.GetValue<int>());
        Assert.Equal(2, JsonNode.Parse(events[1]["data: ".Length..])!["usageMetadata"]!["candidatesTokenCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task ResetBeforeHeadersResetsTheConnectionOnTheGeminiRouteToo()
    {
        var deployments = (MockDeployments)_app!.Services.GetService(typeof(MockDeployments))!;
        var name = "g" + Guid.NewGuid().ToString("N")[..12];
        var deployment = deployments.Get(name);
        deployment.Faults.Enqueue(new MockFault { Kind = MockFaultKind.ResetBeforeHeaders });

        using var raw = await RawHttp.PostAsync(_base, $"/d/{name}{Path}?key={Key}", Body());

        Assert.Equal(SocketError.ConnectionReset, await raw.ReadToEndAsync());
        Assert.Equal(string.Empty, raw.Received);
        Assert.Equal(0, deployment.Stats.Requests);
    }

    [Fact]
    public async Task ACutStreamEndsAfterThatManyEventsWithoutAFinishReason()
    {
        var body = Body(extra: ""","generationConfig":{"maxOutputTokens":8},"mock":{"cut_after_chunks":2}""");
        using var response = await PostAsync(StreamPath, body, Key);

        var received = new StringBuilder();
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                received.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        }
        catch (Exception exception) when (exception is IOException or HttpRequestException)
        {
            // The cut: what arrived before it is what counts.
        }

        var events = received.ToString().Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, events.Length);
        Assert.DoesNotContain("finishReason", received.ToString(), StringComparison.Ordinal);
    }

    private static string Body(string extra = "") =>
        """{"contents":[{"role":"user","parts":[{"text":"hi"}]}]""" + extra + "}";

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("x-goog-api-key", key);
        }

        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }
}
