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
[Collection(RealServersCollection.Name)]
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
        var usage = await UsageAsync(deployment.Frontends[1], tenantId);
        Assert.Equal(n, usage["requests"]!.GetValue<long>());
        Assert.Equal(perRequest * n, usage["costUsd"]!.GetValue<decimal>());
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

        var revokedAt = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/tenants/{tenantId}/keys/{keyId}")).StatusCode);
        while ((await other.GetAsync("/v1/models")).StatusCode != HttpStatusCode.Unauthorized)
        {
            Assert.True(revokedAt.Elapsed < TimeSpan.FromSeconds(5), "The other frontend still accepts the revoked key after 5 s.");
        }

        Assert.True(revokedAt.Elapsed <= TimeSpan.FromSeconds(1), $"The other frontend refused the key only after {revokedAt.Elapsed.TotalMilliseconds:F0} ms.");
    }

    private static object Body() => new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = MaxTokens };

    private static async Task<JsonObject> UsageAsync(GatewayProcess frontend, string tenantId)
    {
        using var admin = frontend.CreateClient(GatewayProcesses.AdminKey);
        return (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/usage"))!;
    }
}
