using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Mock;

/// <summary>What the connection-level faults put on the wire, seen from a bare socket.</summary>
public sealed class SocketFaultTests(MockServerFixture mock) : IClassFixture<MockServerFixture>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task ResetBeforeHeadersResetsTheConnectionWithoutAnyResponseByte()
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"reset_before_headers"}""");

        using var raw = await RawHttp.PostAsync(mock.BaseAddress, prefix + "/v1/chat/completions", MockServerFixture.ChatBody());

        Assert.Equal(SocketError.ConnectionReset, await raw.ReadToEndAsync());
        Assert.Equal(string.Empty, raw.Received);
        Assert.Equal(0, deployment.Faults.Count);
        Assert.Equal(0, deployment.Stats.Requests);
    }

    [Fact]
    public async Task ResetBeforeHeadersFailsAnHttpClientCallWithAnIoErrorCausedByTheReset()
    {
        var (deployment, prefix) = mock.NewDeployment();
        deployment.Faults.Enqueue(new MockFault { Kind = MockFaultKind.ResetBeforeHeaders });

        // A fresh client: a pooled connection would let the handler retry the request on a new one.
        using var client = new HttpClient { BaseAddress = mock.BaseAddress };
        using var body = new StringContent(MockServerFixture.ChatBody(), Encoding.UTF8, "application/json");
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(prefix + "/v1/chat/completions", body));

        var io = Assert.IsAssignableFrom<IOException>(failure.InnerException);
        var socket = Assert.IsType<SocketException>(io.InnerException);
        Assert.Equal(SocketError.ConnectionReset, socket.SocketErrorCode);
    }

    [Fact]
    public async Task ResetMidBodySendsTheHeadersWithTheFullLengthAndPartOfTheBodyThenResets()
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"reset_mid_body"}""");

        using var raw = await RawHttp.PostAsync(mock.BaseAddress, prefix + "/v1/chat/completions", MockServerFixture.ChatBody());

        Assert.Equal(SocketError.ConnectionReset, await raw.ReadToEndAsync());
        var (head, body) = Split(raw.Received);
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.InRange(body.Length, 1, ContentLength(head) - 1);
        Assert.Equal(0, deployment.Stats.Requests);
    }

    [Fact]
    public async Task ResetMidBodyOnAStreamSendsTheChunksThenResetsWithoutDone()
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"reset_mid_body","cut_after_chunks":2}""");

        using var raw = await RawHttp.PostAsync(
            mock.BaseAddress, prefix + "/v1/chat/completions", MockServerFixture.ChatBody(stream: true, maxTokens: 10));

        Assert.Equal(SocketError.ConnectionReset, await raw.ReadToEndAsync());
        Assert.Equal(3, RawHttp.Count(raw.Received, "data: "));
        Assert.DoesNotContain("[DONE]", raw.Received, StringComparison.Ordinal);
        await Eventually.HoldsAsync(
            () => Task.FromResult(deployment.Stats.Requests == 1 && deployment.Stats.CompletionTokens == 2),
            "the reset stream is counted with the two chunks it sent");
    }

    [Fact]
    public async Task CutAfterMoreChunksThanTheStreamHasStillEndsItWithoutDone()
    {
        var (_, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"cut_after_chunks":50}""");

        using var raw = await RawHttp.PostAsync(
            mock.BaseAddress, prefix + "/v1/chat/completions", MockServerFixture.ChatBody(stream: true, maxTokens: 3));
        await raw.ReadToEndAsync();

        Assert.Equal(4, RawHttp.Count(raw.Received, "data: "));
        Assert.DoesNotContain("finish_reason\":\"", raw.Received, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", raw.Received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StallBeforeHeadersSendsNothingUntilTheClientLeaves()
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"stall_before_headers"}""");

        using (var raw = await RawHttp.PostAsync(mock.BaseAddress, prefix + "/v1/chat/completions", MockServerFixture.ChatBody()))
        {
            await Eventually.HoldsAsync(() => Task.FromResult(deployment.Faults.Count == 0), "the request has taken the fault");
            Assert.False(raw.AnythingArrivesWithin(Quiet), $"The stalled request got an answer: {raw.Received}");
        }

        // The stall took only that request: the next one is answered at once.
        using var next = await PostAsync(prefix, MockServerFixture.ChatBody());
        Assert.True(next.IsSuccessStatusCode);
    }

    [Fact]
    public async Task StallBeforeHeadersForAGivenTimeThenAnswersNormally()
    {
        var (deployment, prefix) = mock.NewDeployment();
        deployment.Faults.Enqueue(new MockFault { Kind = MockFaultKind.StallBeforeHeaders, Stall = Quiet });

        var clock = Stopwatch.StartNew();
        using var response = await PostAsync(prefix, MockServerFixture.ChatBody());

        Assert.True(clock.Elapsed >= Quiet - TimeSpan.FromMilliseconds(20), $"Answered after {clock.Elapsed}.");
        Assert.True(response.IsSuccessStatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(5, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        await Eventually.HoldsAsync(() => Task.FromResult(deployment.Stats.Requests == 1), "the late answer is counted");
    }

    [Fact]
    public async Task StallMidBodySendsPartOfTheBodyThenNothingUntilTheClientLeaves()
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"stall_mid_body"}""");

        using (var raw = await RawHttp.PostAsync(mock.BaseAddress, prefix + "/v1/chat/completions", MockServerFixture.ChatBody()))
        {
            await raw.ReadUntilAsync(text => text.Contains("\r\n\r\n", StringComparison.Ordinal) && Split(text).Body.Length > 0);
            Assert.False(raw.AnythingArrivesWithin(Quiet), $"The stalled body went on: {raw.Received}");
            var (head, body) = Split(raw.Received);
            Assert.StartsWith("HTTP/1.1 200", head);
            Assert.InRange(body.Length, 1, ContentLength(head) - 1);
        }

        Assert.Equal(0, deployment.Stats.Requests);
    }

    [Fact]
    public async Task StallMidBodyForAGivenTimeThenSendsTheRestOfTheBody()
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"stall_mid_body","stall_ms":200}""");

        using var response = await PostAsync(prefix, MockServerFixture.ChatBody());

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("chat.completion", json.RootElement.GetProperty("object").GetString());
        await Eventually.HoldsAsync(() => Task.FromResult(deployment.Stats.Requests == 1), "the finished body is counted");
    }

    [Fact]
    public async Task StallMidBodyOnAStreamSendsTheChunksThenNothingUntilTheClientLeaves()
    {
        var (deployment, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"stall_mid_body","stall_after_chunks":2}""");

        using (var raw = await RawHttp.PostAsync(
            mock.BaseAddress, prefix + "/v1/chat/completions", MockServerFixture.ChatBody(stream: true, maxTokens: 10)))
        {
            await raw.ReadUntilAsync(text => RawHttp.Count(text, "data: ") >= 3);
            Assert.False(raw.AnythingArrivesWithin(Quiet), $"The stalled stream went on: {raw.Received}");
            Assert.Equal(3, RawHttp.Count(raw.Received, "data: "));
        }

        await Eventually.HoldsAsync(
            () => Task.FromResult(deployment.Stats.Requests == 1 && deployment.Stats.CompletionTokens == 2),
            "the abandoned stream is counted with the chunks it sent");
    }

    [Fact]
    public async Task StallMidBodyOnAStreamForAGivenTimeThenFinishesTheStream()
    {
        var (_, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"stall_mid_body","stall_ms":200}""");

        using var raw = await RawHttp.PostAsync(
            mock.BaseAddress, prefix + "/v1/chat/completions", MockServerFixture.ChatBody(stream: true, maxTokens: 4));

        await raw.ReadUntilAsync(text => RawHttp.Count(text, "data: ") >= 2);
        await raw.ReadUntilAsync(text => text.Contains("[DONE]", StringComparison.Ordinal));
        Assert.Equal(1 + 4 + 1 + 1, RawHttp.Count(raw.Received, "data: "));
    }

    [Fact]
    public async Task BurstDeliversItsEventsInOneReadThenStalls()
    {
        var (_, prefix) = mock.NewDeployment();
        await mock.PostFaultAsync(prefix, """{"kind":"burst","burst_chunks":4}""");

        using var raw = await RawHttp.PostAsync(
            mock.BaseAddress, prefix + "/v1/chat/completions", MockServerFixture.ChatBody(stream: true, maxTokens: 6));

        var first = await raw.ReadOnceAsync();
        Assert.StartsWith("HTTP/1.1 200", first);
        Assert.Equal(4, RawHttp.Count(first, "data: "));
        Assert.False(raw.AnythingArrivesWithin(Quiet), $"The burst was not followed by a stall: {raw.Received}");
    }

    [Fact]
    public async Task BurstForAGivenStallThenFinishesTheStream()
    {
        var (deployment, prefix) = mock.NewDeployment();
        deployment.Faults.Enqueue(new MockFault { Kind = MockFaultKind.Burst, BurstChunks = 2, Stall = TimeSpan.FromMilliseconds(200) });

        var clock = Stopwatch.StartNew();
        using var raw = await RawHttp.PostAsync(
            mock.BaseAddress, prefix + "/v1/chat/completions", MockServerFixture.ChatBody(stream: true, maxTokens: 6));

        await raw.ReadUntilAsync(text => text.Contains("[DONE]", StringComparison.Ordinal));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(180), $"The stream ended after {clock.Elapsed}.");
        Assert.Equal(1 + 6 + 1 + 1, RawHttp.Count(raw.Received, "data: "));
    }

    private async Task<HttpResponseMessage> PostAsync(string prefix, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await mock.Http.PostAsync(prefix + "/v1/chat/completions", content);
    }

    private static (string Head, string Body) Split(string received)
    {
        var end = received.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return end < 0 ? (received, string.Empty) : (received[..end], received[(end + 4)..]);
    }

    private static int ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Assert.Fail($"No Content-Length in: {head}");
        return 0;
    }
}
