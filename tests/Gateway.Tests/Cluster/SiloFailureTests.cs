using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.Tests.Cluster;

/// <summary>
/// A silo killed with SIGKILL while tenants are under load through two frontends (three silos, real Redis and
/// PostgreSQL): every tenant is charged exactly what the provider served, its grain reactivates on a survivor, and a
/// budget still admits exactly as many requests as it covers.
/// </summary>
[Collection(RealServersCollection.Name), Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed class SiloFailureTests(RealServersFixture servers, ITestOutputHelper output)
{
    private const int MaxTokens = 10;
    private const int BudgetedRequests = 60;
    private const int WorkersPerTenant = 2;

    [Fact]
    public async Task KilledSiloUnderLoadLosesNoChargeAndLimitsHoldOnTheSurvivors()
    {
        await using var deployment = await GatewayProcesses.StartAsync(servers, silos: 3, frontends: 2);
        var perRequest = ChatBodies.Gpt41CostUsd(ChatBodies.PromptTokens(), MaxTokens);
        var tenants = new List<(string TenantId, string Key)>();
        for (var i = 0; i < 4; i++)
        {
            tenants.Add(await deployment.Frontends[i % 2].CreateTenantAsync(new { }));
        }

        var budgeted = await deployment.Frontends[1].CreateTenantAsync(new { monthlyBudgetUsd = perRequest * BudgetedRequests });
        tenants.Add(budgeted);

        using var load = new ClusterLoad(deployment, tenants, WorkersPerTenant, Body);
        var mock = deployment.MockStats;
        await Eventually.HoldsAsync(() => Task.FromResult(mock.Requests >= 30), "30 requests were served", TimeSpan.FromSeconds(60));

        // Park every request in flight at the provider, let each tenant checkpoint what it holds, then kill the silo
        // that hosts the budgeted tenant: its grain must come back elsewhere with its spend and open reservations.
        deployment.MockHold.Close();
        await Eventually.HoldsAsync(() => Task.FromResult(deployment.MockHold.Waiting == load.Workers), "every worker waits at the provider", TimeSpan.FromSeconds(30));
        foreach (var (id, _) in tenants)
        {
            using var admin = deployment.Frontends[0].CreateClient(GatewayProcesses.AdminKey);
            var patched = await admin.PatchAsync($"/admin/tenants/{id}", JsonContent.Create(new { tier = "platinum" }));
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        var victim = await SiloHostingAsync(deployment, budgeted.TenantId);
        var servedBeforeKill = mock.ByUser.TryGetValue(budgeted.TenantId, out var before) ? before.Requests : 0;
        victim.Process.Kill();
        await victim.Process.WaitForExitAsync();
        load.Mark();
        deployment.MockHold.Open();

        try
        {
            await Eventually.HoldsAsync(
                () => Task.FromResult(
                    mock.ByUser.TryGetValue(budgeted.TenantId, out var served) && served.Requests >= BudgetedRequests
                    && tenants.All(t => load.ServedSinceMark(t.TenantId) >= 5)),
                "the budget is spent and every tenant was served again after the kill",
                TimeSpan.FromSeconds(120));
        }
        finally
        {
            // What the load and the processes saw, also when the wait above failed.
            await load.StopAsync();
            output.WriteLine("Answers: " + load.DescribeAnswers());
            output.WriteLine("Served since the kill: " + string.Join(", ", tenants.Select(t => $"{t.TenantId}={load.ServedSinceMark(t.TenantId)}"))
                + $"; budgeted served {(mock.ByUser.TryGetValue(budgeted.TenantId, out var total) ? total.Requests : 0)} of {BudgetedRequests}");
            foreach (var process in deployment.Frontends.Concat(deployment.Silos))
            {
                foreach (var line in process.Output.Where(l => !string.IsNullOrWhiteSpace(l)).TakeLast(40))
                {
                    output.WriteLine($"{process.Name}: {line}");
                }
            }
        }

        Assert.True(load.Unexpected.IsEmpty, "Unexpected answers: " + string.Join("; ", load.Unexpected.Take(5)));
        Assert.True(mock.ByUser[budgeted.TenantId].Requests > servedBeforeKill, "The budgeted tenant was not served after its silo died.");
        await deployment.AssertChargedWhatTheMockServedAsync(tenants.Select(t => t.TenantId));

        Assert.Equal(BudgetedRequests, mock.ByUser[budgeted.TenantId].Requests);
        Assert.Equal(perRequest * BudgetedRequests, (await deployment.Frontends[0].UsageAsync(budgeted.TenantId))["costUsd"]!.GetValue<decimal>());
        using var client = deployment.Frontends[0].CreateClient(budgeted.Key);
        var refused = await client.PostAsJsonAsync("/v1/chat/completions", Body(budgeted.TenantId));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
    }

    private static object Body(string tenantId) => ClusterLoad.Body(tenantId, MaxTokens);

    private static async Task<GatewayProcess> SiloHostingAsync(GatewayProcesses deployment, string tenantId)
    {
        using var client = await deployment.ConnectClientAsync();
        var management = client.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var activations = await management.GetDetailedGrainStatistics();
        var tenant = activations.Single(a => a.GrainType.Contains("TenantGrain", StringComparison.Ordinal) && a.GrainId.Key.ToString() == tenantId);
        await client.StopAsync();
        return deployment.SiloAt(tenant.SiloAddress);
    }
}
