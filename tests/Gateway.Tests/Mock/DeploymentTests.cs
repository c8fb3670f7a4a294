using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Mock;

/// <summary>One mock server acting as several deployments under <c>/d/{name}/</c>, each with its own faults, delays and stats.</summary>
public sealed class DeploymentTests(MockServerFixture mock) : IClassFixture<MockServerFixture>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task FaultsOfOneDeploymentLeaveTheDefaultRouteAndOtherDeploymentsAlone()
    {
        var (broken, brokenPrefix) = mock.NewDeployment();
        var (_, healthyPrefix) = mock.NewDeployment();
        await mock.PostFaultAsync(brokenPrefix, """{"status":503,"count":2}""");

        using (var healthy = await PostAsync(healthyPrefix, MockServerFixture.ChatBody()))
        using (var top = await PostAsync(string.Empty, MockServerFixture.ChatBody()))
        {
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
            Assert.Equal(HttpStatusCode.OK, top.StatusCode);
        }

        Assert.Equal(2, broken.Faults.Count);
        using var failed = await PostAsync(brokenPrefix, MockServerFixture.ChatBody());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal(1, broken.Faults.Count);
        var pending = await mock.GetJsonAsync(brokenPrefix + "/mock/faults");
        Assert.Equal(1, pending["pending"]!.GetValue<int>());

        using (var cleared = await mock.Http.DeleteAsync(brokenPrefix + "/mock/faults"))
        {
            Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        }

        Assert.Equal(0, broken.Faults.Count);
    }

    [Fact]
    public async Task LatencyOfOneDeploymentAppliesOnlyThere()
    {
        var (slow, slowPrefix) = mock.NewDeployment();
        var (_, fastPrefix) = mock.NewDeployment();
        using (var put = await mock.Http.PutAsJsonAsync(slowPrefix + "/mock/latency", new { latency_ms = 60_000 }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Equal(TimeSpan.FromMinutes(1), slow.Latency);
        using var waiting = await RawHttp.PostAsync(mock.BaseAddress, slowPrefix + "/v1/chat/completions", MockServerFixture.ChatBody());

        using (var fast = await PostAsync(fastPrefix, MockServerFixture.ChatBody()))
        using (var top = await PostAsync(string.Empty, MockServerFixture.ChatBody()))
        {
            Assert.Equal(HttpStatusCode.OK, fast.StatusCode);
            Assert.Equal(HttpStatusCode.OK, top.StatusCode);
        }

        Assert.False(waiting.AnythingArrivesWithin(Quiet), $"The slow deployment answered: {waiting.Received}");
    }

    [Fact]
    public async Task ChunkDelayOfOneDeploymentAppliesOnlyThere()
    {
        var (slow, slowPrefix) = mock.NewDeployment();
        var (_, fastPrefix) = mock.NewDeployment();
        slow.ChunkDelay = TimeSpan.FromMinutes(1);

        using var waiting = await RawHttp.PostAsync(
            mock.BaseAddress, slowPrefix + "/v1/chat/completions", MockServerFixture.ChatBody(stream: true));
        await waiting.ReadUntilAsync(text => RawHttp.Count(text, "data: ") >= 1);

        using (var fast = await PostAsync(fastPrefix, MockServerFixture.ChatBody(stream: true)))
        {
            Assert.EndsWith("data: [DONE]\n\n", await fast.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.False(waiting.AnythingArrivesWithin(Quiet), $"The slow deployment's stream went on: {waiting.Received}");
        Assert.Equal(1, RawHttp.Count(waiting.Received, "data: "));
    }

    [Fact]
    public async Task LatencyRouteReportsReplacesAndResetsTheOverrides()
    {
        var (deployment, prefix) = mock.NewDeployment();

        var initial = await mock.GetJsonAsync(prefix + "/mock/latency");
        Assert.Null(initial["latency_ms"]);
        Assert.Null(initial["chunk_delay_ms"]);

        using (var put = await mock.Http.PutAsJsonAsync(prefix + "/mock/latency", new { latency_ms = 5, chunk_delay_ms = 7 }))
        {
            var body = (await put.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(5, body["latency_ms"]!.GetValue<int>());
            Assert.Equal(7, body["chunk_delay_ms"]!.GetValue<int>());
        }

        Assert.Equal(TimeSpan.FromMilliseconds(5), deployment.Latency);
        Assert.Equal(TimeSpan.FromMilliseconds(7), deployment.ChunkDelay);

        // A PUT replaces both: the member left out goes back to the server's option.
        using (var put = await mock.Http.PutAsJsonAsync(prefix + "/mock/latency", new { chunk_delay_ms = 9 }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Null(deployment.Latency);
        Assert.Equal(TimeSpan.FromMilliseconds(9), deployment.ChunkDelay);

        using (var refused = await mock.Http.PutAsJsonAsync(prefix + "/mock/latency", new { latency = 5 }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using (var reset = await mock.Http.DeleteAsync(prefix + "/mock/latency"))
        {
            Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        }

        Assert.Null(deployment.Latency);
        Assert.Null(deployment.ChunkDelay);
    }

    [Fact]
    public async Task StatsAreCountedPerDeploymentAndInTheTotals()
    {
        var (first, firstPrefix) = mock.NewDeployment();
        var (second, secondPrefix) = mock.NewDeployment();
        var user = "u-" + Guid.NewGuid().ToString("N");
        var otherUser = "u-" + Guid.NewGuid().ToString("N");
        var body = MockServerFixture.ChatBody(maxTokens: 4, extra: $"\"user\":\"{user}\"");

        for (var i = 0; i < 2; i++)
        {
            using var response = await PostAsync(firstPrefix, body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await PostAsync(secondPrefix, MockServerFixture.ChatBody(maxTokens: 3, extra: $"\"user\":\"{otherUser}\"")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Users only this test sends, because the totals also count whatever other tests' requests finish meanwhile.
        await Eventually.HoldsAsync(
            () => Task.FromResult(
                first.Stats.Requests == 2 && second.Stats.Requests == 1
                && mock.TotalStats.ByUser.ContainsKey(user) && mock.TotalStats.ByUser.ContainsKey(otherUser)
                && mock.TotalStats.ByUser[user].Requests == 2 && mock.TotalStats.ByUser[otherUser].Requests == 1),
            "each deployment and the totals have counted the requests");
        Assert.Equal(8, first.Stats.CompletionTokens);
        Assert.Equal(2, first.Stats.ByUser[user].Requests);
        Assert.Equal(3, second.Stats.CompletionTokens);
        Assert.Equal(8, mock.TotalStats.ByUser[user].CompletionTokens);

        var own = await mock.GetJsonAsync(firstPrefix + "/mock/stats");
        Assert.Equal(2, own["requests"]!.GetValue<long>());
        Assert.Equal(8, own["completionTokens"]!.GetValue<long>());
        Assert.Equal(2, own["byUser"]![user]!["requests"]!.GetValue<long>());
        Assert.Null(own["byDeployment"]);

        var all = await mock.GetJsonAsync("/mock/stats");
        Assert.True(all["requests"]!.GetValue<long>() >= 3);
        Assert.Equal(2, all["byDeployment"]![first.Name]!["requests"]!.GetValue<long>());
        Assert.Equal(1, all["byDeployment"]![second.Name]!["byModel"]!["gpt-4o"]!["requests"]!.GetValue<long>());
        Assert.Equal(2, all["byUser"]![user]!["requests"]!.GetValue<long>());

        using (var reset = await mock.Http.DeleteAsync(firstPrefix + "/mock/stats"))
        {
            Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        }

        Assert.Equal(0, first.Stats.Requests);
        Assert.Equal(1, second.Stats.Requests);
    }

    [Fact]
    public async Task BusySecondsAddUpTheTimeEveryAnswerWasInFlight()
    {
        var (deployment, prefix) = mock.NewDeployment();
        deployment.Latency = TimeSpan.FromMilliseconds(40);
        var before = (await mock.GetJsonAsync(prefix + "/mock/stats"))["busySeconds"]!.GetValue<double>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PostAsync(prefix, MockServerFixture.ChatBody(maxTokens: 2))));
        var elapsed = clock.Elapsed.TotalSeconds;
        foreach (var answer in answers)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            answer.Dispose();
        }

        // Three answers at once, each held its 40 ms: their slot-time is about 0.12 s, and at most three times the whole
        // exchange (each began and ended within it), however the three overlapped. A delay's timer counts in the coarse
        // clock's ticks (4 ms on Linux), so an answer may be let go up to a tick before 40 ms by the precise clock.
        var busy = (await mock.GetJsonAsync(prefix + "/mock/stats"))["busySeconds"]!.GetValue<double>() - before;
        Assert.InRange(busy, 3 * 0.035, 3 * elapsed);
    }

    [Fact]
    public async Task ModelsAreListedUnderEveryDeployment()
    {
        var (_, prefix) = mock.NewDeployment();

        var models = await mock.GetJsonAsync(prefix + "/v1/models");

        Assert.Equal("list", models["object"]!.GetValue<string>());
        Assert.NotEmpty(models["data"]!.AsArray());
    }

    [Fact]
    public void DeploymentsAreCreatedOnceAndKeptByName()
    {
        var name = "n" + Guid.NewGuid().ToString("N");

        var deployment = mock.Deployments.Get(name);

        Assert.Same(deployment, mock.Deployments.Get(name));
        Assert.Same(deployment, mock.Deployments.Named[name]);
        Assert.Throws<ArgumentException>(() => mock.Deployments.Get(string.Empty));
        Assert.Throws<ArgumentException>(() => mock.Deployments.Get("a/b"));
        Assert.Throws<ArgumentOutOfRangeException>(() => deployment.Latency = TimeSpan.FromMilliseconds(-1));
    }

    private async Task<HttpResponseMessage> PostAsync(string prefix, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await mock.Http.PostAsync(prefix + "/v1/chat/completions", content);
    }
}
