using Gateway.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Gateway.Tests.Cluster;

/// <summary>
/// Every silo replaced one by one (a new one joins, then an old one gets SIGTERM, as a Kubernetes rolling update does)
/// while tenants are under load through two frontends: every request served has its ledger row and is in its tenant's
/// usage, and nothing fails beyond a 503 the client may retry. One tenant streams (each stream about two seconds long, so
/// streams are running whenever a silo stops): none of its streams is cut. The frontends know the new silos before the
/// old ones stop.
/// </summary>
[Collection(RealServersCollection.Name), Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed class RollingRestartTests(RealServersFixture servers, ITestOutputHelper output)
{
    private const int MaxTokens = 8;
    private const int StreamedTokens = 20;

    [Fact]
    public async Task RollingRestartOfEverySiloUnderLoadLosesNoLedgerRow()
    {
        await using var deployment = await GatewayProcesses.StartAsync(servers, silos: 2, frontends: 2);
        var tenants = new List<(string TenantId, string Key)>();
        for (var i = 0; i < 5; i++)
        {
            tenants.Add(await deployment.Frontends[i % 2].CreateTenantAsync(new { }));
        }

        var streaming = tenants[^1].TenantId;
        using var load = new ClusterLoad(deployment, tenants, workersPerTenant: 2, id => id == streaming
            ? ClusterLoad.Body(id, StreamedTokens, stream: true, chunkDelayMs: 100)
            : ClusterLoad.Body(id, MaxTokens, latencyMs: 20));
        var mock = deployment.MockStats;
        await Eventually.HoldsAsync(() => Task.FromResult(mock.Requests >= 20), "20 requests were served", TimeSpan.FromSeconds(60));

        foreach (var old in deployment.Silos.ToList())
        {
            await deployment.AddSiloAsync();
            var before = mock.Requests;
            var stopping = System.Diagnostics.Stopwatch.StartNew();
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} stopping {old.Name}");
            await GatewayProcesses.StopGracefullyAsync(old);
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {old.Name} stopped after {stopping.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(0, old.Process.ExitCode);
            await Eventually.HoldsAsync(() => Task.FromResult(mock.Requests >= before + 20), $"requests were served after {old.Name} stopped", TimeSpan.FromSeconds(60));
        }

        await load.StopAsync();
        output.WriteLine("Answers: " + load.DescribeAnswers());

        foreach (var process in deployment.Frontends.Concat(deployment.Silos))
        {
            foreach (var line in process.Output.Where(l => l.Contains("lost", StringComparison.Ordinal) || l.Contains("could not reach", StringComparison.Ordinal) || l.Contains("Unhandled", StringComparison.Ordinal)).Take(20))
            {
                output.WriteLine($"{process.Name}: {line}");
            }
        }
        Assert.True(load.Unexpected.IsEmpty, "Unexpected answers: " + string.Join("; ", load.Unexpected.Take(5)));

        // Each frontend connected to the new silos before the old ones stopped: it never found every gateway it knew dead
        // (with Orleans' default refresh of a minute it did, in every run, and the silos could not reach it for seconds).
        Assert.DoesNotContain(deployment.Frontends, f => f.HasLogged("All known gateways have been marked dead"));
        Assert.True(load.Served.Count(s => s.TenantId == streaming) >= 10, "The streaming tenant was served fewer than 10 streams.");

        var ledger = await LedgerRowsAsync(tenants.Select(t => t.TenantId).ToArray());
        var missing = load.Served.Where(s => !ledger.Contains(s.RequestId)).ToList();
        Expect.Equal(0, missing.Count, $"Served requests without a ledger row, of {load.Served.Count}: {string.Join("; ", missing.Take(5))}");
        await deployment.AssertChargedWhatTheMockServedAsync(tenants.Select(t => t.TenantId));

        Assert.Equal(mock.Requests, ledger.Count);
    }

    private async Task<HashSet<string>> LedgerRowsAsync(string[] tenantIds)
    {
        await using var connection = new NpgsqlConnection(servers.PostgreSql);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT request_id FROM usage_ledger WHERE tenant_id = ANY($1)", connection);
        query.Parameters.Add(new NpgsqlParameter { Value = tenantIds });
        var rows = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
