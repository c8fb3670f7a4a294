using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Ledger;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orleans.TestingHost;

namespace Gateway.Tests.Durability;

/// <summary>The usage ledger on real PostgreSQL: nothing a tenant was charged is lost or counted twice.</summary>
[Collection(RealServersCollection.Name), Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed class UsageLedgerTests(RealServersFixture servers)
{
    private readonly FakeTimeProvider _clock = new(ClusterFixture.Start);
    private readonly string _serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task TotalsAreRebuiltFromTheLedgerAfterASiloDiesWithoutSavingState()
    {
        var tenantId = NewTenantId();
        var settled = new List<Settlement>();
        await using (var first = await StartClusterAsync())
        {
            var tenant = first.Client.GetGrain<ITenantGrain>(tenantId);
            await tenant.CreateAsync(new TenantConfig("platinum", null, null, null, TenantLimits.None));
            for (var i = 0; i < 25; i++)
            {
                var settlement = new Settlement($"{tenantId}-req-{i}", "gpt-4.1", 100 + i, 10 + i);
                Assert.True((await tenant.AdmitAsync(new AdmissionRequest(settlement.RequestId, "gpt-4.1", 200, 50))).IsAdmitted);
                await tenant.SettleAsync(settlement);
                settled.Add(settlement);
            }

            // No graceful deactivation: the state saved at creation is all storage has.
            await first.KillSiloAsync(first.GetActiveSilos().Single());
        }

        await using var second = await StartClusterAsync();
        var usage = await second.Client.GetGrain<ITenantGrain>(tenantId).GetUsageAsync();
        Assert.NotNull(usage);
        Assert.Equal(settled.Count, usage.Requests);
        Assert.Equal(settled.Sum(s => s.InputTokens), usage.InputTokens);
        Assert.Equal(settled.Sum(s => s.OutputTokens), usage.OutputTokens);
        Assert.Equal(settled.Sum(s => (s.InputTokens * 2.00m + s.OutputTokens * 8.00m) / 1_000_000m), usage.CostUsd);
    }

    [Fact]
    public async Task OpenReservationsAndLaterSettlementsSurviveAKilledSiloSoTheBudgetStillHolds()
    {
        // Budget for exactly four requests at their worst case (100 in, 50 out on gpt-4.1).
        var tenantId = NewTenantId();
        var worstCase = (100 * 2.00m + 50 * 8.00m) / 1_000_000m;
        await using (var first = await StartClusterAsync())
        {
            var tenant = first.Client.GetGrain<ITenantGrain>(tenantId);
            await tenant.CreateAsync(new TenantConfig("platinum", null, 4 * worstCase, null, TenantLimits.None));
            Assert.True((await tenant.AdmitAsync(new AdmissionRequest("in-flight-1", "gpt-4.1", 100, 50))).IsAdmitted);
            Assert.True((await tenant.AdmitAsync(new AdmissionRequest("in-flight-2", "gpt-4.1", 100, 50))).IsAdmitted);

            // An update awaits a state write: the checkpoint now holds both reservations.
            await tenant.UpdateAsync(new TenantPatch("platinum", default, default, default, default, default, default));

            // Settled after the checkpoint: only the ledger knows.
            await tenant.SettleAsync(new Settlement("in-flight-1", "gpt-4.1", 100, 50));
            await first.KillSiloAsync(first.GetActiveSilos().Single());
        }

        await using var second = await StartClusterAsync();
        var restarted = second.Client.GetGrain<ITenantGrain>(tenantId);
        var usage = await restarted.GetUsageAsync();
        Assert.Equal((1, worstCase, 1), (usage!.Requests, usage.CostUsd, usage.InFlight));

        // One settled + one still in flight: two more fit, the third does not.
        Assert.True((await restarted.AdmitAsync(new AdmissionRequest("after-1", "gpt-4.1", 100, 50))).IsAdmitted);
        Assert.True((await restarted.AdmitAsync(new AdmissionRequest("after-2", "gpt-4.1", 100, 50))).IsAdmitted);
        Assert.Equal(AdmissionOutcome.BudgetExhausted, (await restarted.AdmitAsync(new AdmissionRequest("after-3", "gpt-4.1", 100, 50))).Outcome);

        // The request in flight at the crash settles against its restored reservation, once.
        await restarted.SettleAsync(new Settlement("in-flight-2", "gpt-4.1", 100, 50));
        await restarted.SettleAsync(new Settlement("in-flight-1", "gpt-4.1", 100, 50));
        usage = await restarted.GetUsageAsync();
        Assert.Equal((2, 2 * worstCase, 2), (usage!.Requests, usage.CostUsd, usage.InFlight));
    }

    [Fact]
    public async Task ASettlementRepeatedAfterARestartIsNotCountedTwice()
    {
        var tenantId = NewTenantId();
        var settlement = new Settlement($"{tenantId}-req", "gpt-4.1", 40, 4, CachedInputTokens: 30, CacheWriteTokens: 5, CacheWrite1hTokens: 3, ReasoningTokens: 2, QueueWaitMs: 1_234);
        await using (var first = await StartClusterAsync())
        {
            var tenant = first.Client.GetGrain<ITenantGrain>(tenantId);
            await tenant.CreateAsync(new TenantConfig("gold", null, null, null, TenantLimits.None));
            await tenant.AdmitAsync(new AdmissionRequest(settlement.RequestId, "gpt-4.1", 40, 4));
            await tenant.SettleAsync(settlement);
            await first.KillSiloAsync(first.GetActiveSilos().Single());
        }

        await using var second = await StartClusterAsync();
        var restarted = second.Client.GetGrain<ITenantGrain>(tenantId);
        await restarted.SettleAsync(settlement);

        var usage = await restarted.GetUsageAsync();
        Assert.Equal(1, usage!.Requests);
        Assert.Equal((30L, 5L, 3L, 2L), (usage.CachedInputTokens, usage.CacheWriteTokens, usage.CacheWrite1hTokens, usage.ReasoningTokens));
        var page = await restarted.GetLedgerAsync(new LedgerQuery(null, null, 0, 10));
        var entry = Assert.Single(page.Entries);
        Assert.Equal((settlement.RequestId, "gpt-4.1", "openai", 40L, 4L, Settlement.Completed), (entry.RequestId, entry.Model, entry.Provider, entry.InputTokens, entry.OutputTokens, entry.Outcome));
        // The prompt-cache and reasoning columns round-trip, and recompute the charge: gpt-4.1 has no cache-write price of its
        // own, so its writes (the one-hour ones too) cost what input costs; cache reads $0.50; reasoning is in the output.
        Assert.Equal((30L, 5L, 3L, 2L), (entry.CachedInputTokens, entry.CacheWriteTokens, entry.CacheWrite1hTokens, entry.ReasoningTokens));
        Assert.Equal((5 * 2.00m + 30 * 0.50m + 5 * 2.00m + 4 * 8.00m) / 1_000_000m, entry.CostUsd);
        Assert.Equal(1_234L, entry.QueueWaitMs); // and the queue wait
        Assert.Null(page.NextAfter);
    }

    [Fact]
    public async Task LedgerPagesThroughATenantsEntriesInOrder()
    {
        var tenantId = NewTenantId();
        await using var cluster = await StartClusterAsync();
        var tenant = cluster.Client.GetGrain<ITenantGrain>(tenantId);
        await tenant.CreateAsync(new TenantConfig("gold", null, null, null, TenantLimits.None));
        for (var i = 0; i < 5; i++)
        {
            await tenant.AdmitAsync(new AdmissionRequest($"{tenantId}-{i}", "gpt-4.1", 10, 1));
            await tenant.SettleAsync(new Settlement($"{tenantId}-{i}", "gpt-4.1", 10, 1));
        }

        var first = await tenant.GetLedgerAsync(new LedgerQuery(null, null, 0, 2));
        var second = await tenant.GetLedgerAsync(new LedgerQuery(null, null, first.NextAfter!.Value, 2));
        var third = await tenant.GetLedgerAsync(new LedgerQuery(null, null, second.NextAfter!.Value, 2));

        Assert.Equal([1L, 2L, 3L, 4L, 5L], first.Entries.Concat(second.Entries).Concat(third.Entries).Select(e => e.Seq));
        Assert.Null(third.NextAfter);
        var none = await tenant.GetLedgerAsync(new LedgerQuery(ClusterFixture.Start.AddDays(1), null, 0, 10));
        Assert.Empty(none.Entries);
    }

    [Fact]
    public async Task AnUnreachableDatabaseKeepsAppendsWaitingAndTheBufferFullUntilItIsReachableAgain()
    {
        // The database behind a relay that refuses every connection until restored.
        await using var relay = new TcpRelay(new NpgsqlConnectionStringBuilder(servers.PostgreSql).Port);
        relay.Cut();
        var log = new RecordingLogger<PostgreSqlUsageLedger>();
        await using var ledger = new PostgreSqlUsageLedger(
            new NpgsqlConnectionStringBuilder(servers.PostgreSql) { Port = relay.Port, Timeout = 1 }.ConnectionString,
            Options.Create(new LedgerOptions { BufferCapacity = 2, MaxRetryDelay = TimeSpan.FromMilliseconds(200) }),
            TimeProvider.System,
            log);
        await ledger.StartAsync(CancellationToken.None);
        var tenantId = NewTenantId();

        Assert.True(ledger.IsAcceptingWrites);
        var waiting = new[] { ledger.AppendAsync(Entry(tenantId, 1)), ledger.AppendAsync(Entry(tenantId, 2)) };
        Assert.False(ledger.IsAcceptingWrites);

        // Not merely "not yet": the writer has tried and failed, and the entries still wait for the database.
        await Eventually.HoldsAsync(() => Task.FromResult(log.Count(LogLevel.Warning) >= 3), "the ledger's write has failed three times");
        Assert.All(waiting, w => Assert.False(w.IsCompleted, "An entry the database never took must not be reported written."));
        Assert.False(ledger.IsAcceptingWrites);

        relay.Restore();
        await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(ledger.IsAcceptingWrites);
        Assert.Equal([1L, 2L], (await ledger.ReadAfterAsync(tenantId, 0)).Select(e => e.Seq));
    }

    private static LedgerEntry Entry(string tenantId, long seq) =>
        new(tenantId, seq, "req-" + Guid.NewGuid().ToString("N"), ClusterFixture.Start, "gpt-4.1", "openai", 1, 1, 0.00001m, Settlement.Completed);

    private static string NewTenantId() => "t-" + Guid.NewGuid().ToString("N")[..12];

    // State is saved only when asked: what survives a kill is what the ledger holds.
    private Task<InProcessTestCluster> StartClusterAsync() => servers.StartClusterAsync(_serviceId, _clock, stateFlushInterval: TimeSpan.FromHours(1));
}
