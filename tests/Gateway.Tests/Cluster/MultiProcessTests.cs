using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Cluster;

/// <summary>
/// Silos and frontends as separate processes, clustered through real Redis with state and ledger in real PostgreSQL:
/// a tenant has one activation cluster-wide, so its limits hold whichever frontend or silo a request reaches.
/// </summary>
[Collection(RealServersCollection.Name), Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed class MultiProcessTests(RealServersFixture servers)
{
    private const int MaxTokens = 10;

    [Fact]
    public async Task TwoFrontendsHammeringOneBudgetServeExactlyNInTotal()
    {
        await using var deployment = await GatewayProcesses.StartAsync(servers, silos: 2, frontends: 2);
        const int n = 6;
        var perRequest = ChatBodies.Gpt41CostUsd(ChatBodies.PromptTokens(), MaxTokens);
        var (tenantId, key) = await deployment.Frontends[0].CreateTenantAsync(new { monthlyBudgetUsd = perRequest * n });

        var clients = deployment.Frontends.Select(f => f.CreateClient(key)).ToArray();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20 * n).Select(i => clients[i % 2].PostAsJsonAsync("/v1/chat/completions", Body())));

        Assert.Equal(n, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(19 * n, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        var usage = await deployment.Frontends[1].UsageAsync(tenantId);
        Assert.Equal(n, usage["requests"]!.GetValue<long>());
        Assert.Equal(perRequest * n, usage["costUsd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task StateAndUsageSurviveAFullRestartOfEveryProcess()
    {
        var cluster = "c-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string> { ["Cluster__ClusterId"] = cluster, ["Cluster__ServiceId"] = cluster };
        string tenantId, key;
        await using (var first = await GatewayProcesses.StartAsync(servers, silos: 2, frontends: 1, settings))
        {
            (tenantId, key) = await first.Frontends[0].CreateTenantAsync(new { monthlyBudgetUsd = 1.5m, limits = new { maxConcurrent = 7 } });
            using var client = first.Frontends[0].CreateClient(key);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/chat/completions", Body())).StatusCode);
            }

            foreach (var process in first.Frontends.Concat(first.Silos))
            {
                await GatewayProcesses.StopGracefullyAsync(process);
            }
        }

        await using var second = await GatewayProcesses.StartAsync(servers, silos: 1, frontends: 1, settings);
        using var again = second.Frontends[0].CreateClient(key);
        var perRequest = ChatBodies.Gpt41CostUsd(ChatBodies.PromptTokens(), MaxTokens);
        var usage = await second.Frontends[0].UsageAsync(tenantId);
        Assert.Equal(3, usage["requests"]!.GetValue<long>());
        Assert.Equal(3 * perRequest, usage["costUsd"]!.GetValue<decimal>());

        // The key and the configuration came back with the usage.
        Assert.Equal(HttpStatusCode.OK, (await again.PostAsJsonAsync("/v1/chat/completions", Body())).StatusCode);
        using var admin = second.Frontends[0].CreateClient(GatewayProcesses.AdminKey);
        var tenant = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}");
        Assert.Equal((1.5m, 7), (tenant!["monthlyBudgetUsd"]!.GetValue<decimal>(), tenant["limits"]!["maxConcurrent"]!.GetValue<int>()));
        Assert.Equal(4, (await second.Frontends[0].UsageAsync(tenantId))["requests"]!.GetValue<long>());
    }

    [Fact]
    public async Task KeyRevokedThroughOneFrontendIsRefusedByTheOtherWithinOneSecond()
    {
        await using var deployment = await GatewayProcesses.StartAsync(servers, silos: 1, frontends: 2);
        var (tenantId, key) = await deployment.Frontends[0].CreateTenantAsync(new { });
        using var other = deployment.Frontends[1].CreateClient(key);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/v1/models")).StatusCode);
        using var admin = deployment.Frontends[0].CreateClient(GatewayProcesses.AdminKey);
        var keyId = (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}"))!["keys"]![0]!["id"]!.GetValue<string>();

        // The contract (README): once the 204 is back, every frontend refuses the key within one second. The revocation's
        // own round trip (two state writes) is not part of it.
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/tenants/{tenantId}/keys/{keyId}")).StatusCode);
        var revokedAt = Stopwatch.StartNew();
        while ((await other.GetAsync("/v1/models")).StatusCode != HttpStatusCode.Unauthorized)
        {
            Assert.True(revokedAt.Elapsed < TimeSpan.FromSeconds(5), "The other frontend still accepts the revoked key after 5 s.");
        }

        Assert.True(revokedAt.Elapsed <= TimeSpan.FromSeconds(1), $"The other frontend refused the key only after {revokedAt.Elapsed.TotalMilliseconds:F0} ms.");
    }

    [Fact]
    public async Task AClientLeavingAStreamServedByAnotherProcessEndsItUpstreamAndSettlesWithinSeconds()
    {
        // The frontend holds the client's connection, the silo's worker pushes the chunks to it: when the client leaves,
        // the worker must stop pushing to an observer that is gone (each unanswered push waits out a 5 s timeout) and end
        // the provider's stream, charging what was streamed.
        await using var deployment = await GatewayProcesses.StartAsync(servers, silos: 1, frontends: 1);
        var (tenantId, key) = await deployment.Frontends[0].CreateTenantAsync(new { });
        using var client = deployment.Frontends[0].CreateClient(key);
        const int Answer = 2_000;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model = "gpt-4.1",
                stream = true,
                messages = ChatBodies.Messages(),
                max_tokens = Answer,
                mock = new { completion_tokens = Answer, chunk_delay_ms = 20 },
            }),
        };

        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            for (var events = 0; events < 5;)
            {
                var line = await reader.ReadLineAsync();
                Assert.NotNull(line);
                events += line.StartsWith("data: ", StringComparison.Ordinal) ? 1 : 0;
            }
        }

        // Left after a few chunks, of an answer that takes 40 s: settled well before it would have ended.
        var left = Stopwatch.StartNew();
        await Eventually.HoldsAsync(
            async () => (await deployment.Frontends[0].UsageAsync(tenantId)) is var usage
                && usage["inFlight"]!.GetValue<int>() == 0 && usage["requests"]!.GetValue<long>() == 1,
            "the stream settled",
            TimeSpan.FromSeconds(30));
        Assert.True(left.Elapsed < TimeSpan.FromSeconds(5), $"The stream settled {left.Elapsed.TotalSeconds:F1} s after its client left.");
        var charged = (await deployment.Frontends[0].UsageAsync(tenantId))["outputTokens"]!.GetValue<long>();
        Assert.InRange(charged, 1, Answer / 4);
        Assert.False(deployment.Frontends[0].HasLogged("Unexpected target grain"), deployment.Frontends[0].Tail(20));
    }

    private static object Body() => new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = MaxTokens };
}
