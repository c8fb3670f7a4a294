using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Mock;

/// <summary>Faults that answer with a well-framed response whose content is wrong: garbage, huge, no usage, odd errors.</summary>
public sealed class BodyFaultTests(MockServerFixture mock) : IClassFixture<MockServerFixture>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GarbageBodyAnswers200JsonWithAnHtmlPageAndIsNotCountedAsServed(bool stream)
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"garbage_body"}""");

        using var response = await PostAsync(prefix, MockServerFixture.ChatBody(stream));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("<html>", body, StringComparison.Ordinal);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body));
        Assert.Equal(0, deployment.Stats.Requests);
    }

    [Fact]
    public async Task GarbageEventSitsAfterTheGivenChunksAndTheStreamGoesOnToDone()
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"garbage_event","garbage_after_chunks":2}""");

        using var response = await PostAsync(prefix, MockServerFixture.ChatBody(stream: true, maxTokens: 4));
        var events = Events(await response.Content.ReadAsStringAsync());

        // Role chunk, two content chunks, the garbage, two more content chunks, finish chunk, [DONE].
        Assert.Equal(8, events.Count);
        Assert.Equal("this is not json", events[3]);
        Assert.Equal("[DONE]", events[^1]);
        Assert.All(events.Where((_, index) => index != 3 && index != events.Count - 1), data => JsonDocument.Parse(data).Dispose());
        await Eventually.HoldsAsync(
            () => Task.FromResult(deployment.Stats.Requests == 1 && deployment.Stats.CompletionTokens == 4),
            "the stream with a garbage event is served in full");
    }

    [Fact]
    public async Task OversizeBodyIsValidJsonOfAtLeastTwoMebibytesByDefault()
    {
        var (_, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"oversize_body"}""");

        using var response = await PostAsync(prefix, MockServerFixture.ChatBody());
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.True(body.Length >= MockFault.DefaultBodyBytes, $"The body has only {body.Length} bytes.");
        using var json = JsonDocument.Parse(body);
        var content = json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.True(content.Length >= MockFault.DefaultBodyBytes, $"The content has only {content.Length} characters.");
    }

    [Fact]
    public async Task OversizeBodyOnAStreamSendsEachChoiceWholeInOneEvent()
    {
        var (deployment, prefix) = mock.NewDeployment();
        deployment.Faults.Enqueue(new MockFault { Kind = MockFaultKind.OversizeBody, BodyBytes = 100_000 });

        using var response = await PostAsync(
            prefix, MockServerFixture.ChatBody(stream: true, extra: "\"stream_options\":{\"include_usage\":true}"));
        var events = Events(await response.Content.ReadAsStringAsync());

        // Role chunk, the one huge content chunk, finish chunk, usage chunk, [DONE].
        Assert.Equal(5, events.Count);
        Assert.True(events[1].Length >= 100_000, $"The content event has only {events[1].Length} bytes.");
        using var usage = JsonDocument.Parse(events[3]);
        Assert.Equal(25_000, usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("[DONE]", events[^1]);
    }

    [Fact]
    public async Task NoUsageLeavesTheUsageOutOfACompletion()
    {
        var (_, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"no_usage"}""");

        using var response = await PostAsync(prefix, MockServerFixture.ChatBody());

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("chat.completion", json.RootElement.GetProperty("object").GetString());
        Assert.False(json.RootElement.TryGetProperty("usage", out _));
    }

    [Fact]
    public async Task NoUsageLeavesEveryUsageOutOfAStreamThatAskedForIt()
    {
        var (_, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"no_usage"}""");

        using var response = await PostAsync(
            prefix, MockServerFixture.ChatBody(stream: true, maxTokens: 3, extra: "\"stream_options\":{\"include_usage\":true}"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("usage", body, StringComparison.Ordinal);
        Assert.Equal(1 + 3 + 1 + 1, Events(body).Count);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusFaultCarriesTheProvidersMessageAndBothRetryHints()
    {
        var (_, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(
            prefix, """{"status":400,"message":"This model's maximum context length is 128000 tokens","retry_after":2,"retry_after_ms":1500}""");

        using var response = await PostAsync(prefix, MockServerFixture.ChatBody());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("This model's maximum context length is 128000 tokens", error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("2", Assert.Single(response.Headers.GetValues("Retry-After")));
        Assert.Equal("1500", Assert.Single(response.Headers.GetValues("retry-after-ms")));
    }

    [Fact]
    public async Task StatusFaultCanAnswerAnHtmlPage()
    {
        var (deployment, prefix) = mock.NewDeployment();
        deployment.Faults.Enqueue(new MockFault { Status = 502, ErrorBody = MockErrorBody.Html });

        using var response = await PostAsync(prefix, MockServerFixture.ChatBody());

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<h1>502 Bad Gateway</h1>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusFaultCanAnswerNoBodyAtAll()
    {
        var (_, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"status":503,"error_body":"empty","retry_after_ms":250}""");

        using var response = await PostAsync(prefix, MockServerFixture.ChatBody(stream: true));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("250", Assert.Single(response.Headers.GetValues("retry-after-ms")));
        Assert.False(response.Headers.Contains("Retry-After"));
    }

    /// <summary>The data of each SSE event, in order.</summary>
    private static List<string> Events(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => Assert.Single(block.Split('\n'), line => line.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])
            .ToList();

    private async Task<HttpResponseMessage> PostAsync(string prefix, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await mock.Http.PostAsync(prefix + "/v1/chat/completions", content);
    }
}
