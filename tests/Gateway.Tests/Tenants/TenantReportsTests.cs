using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;
using static Gateway.Tests.Tenants.TenantParts;

namespace Gateway.Tests.Tenants;

/// <summary>What a tenant answers about itself (<see cref="TenantReports"/>): its usage against its limits, its buckets, and an admission's answer.</summary>
public sealed class TenantReportsTests
{
    private readonly TenantParts _parts = new();
    private readonly AdmissionPolicy _policy = new(TestCatalog(), Options.ReservationTimeout);

    [Fact]
    public void ReportsTheMonthsUsageWhatIsReservedAndWhatIsLeftOfQuotaAndBudget()
    {
        var limits = Wide with { MonthlyTokenQuota = 5_000, MonthlyBudgetUsd = 0.003m };
        var account = _parts.Account(limits: limits);
        account.Settle(new LedgerEntry("t1", 1, "used", T0, "delta", "provider-d", 4_000, 2_000, 0.004m, Settlement.Completed), T0);
        account.Reserve(_policy.Decide(Request("held"), account, Wide, true, T0).Reserve!, T0);

        var usage = TenantReports.Usage(account, limits, T0);

        var today = DateOnly.FromDateTime(T0.UtcDateTime);
        Assert.Equal(
            new UsageReport("2026-11", 1, 4_000, 2_000, 0.004m, 0.003m, 0m, 5_000, 0, usage.ByModel, usage.ByDay, 1, 2_000, 0.001m),
            usage);
        Assert.Equal<ModelUsage>([new("delta", 1, 4_000, 2_000, 0.004m)], usage.ByModel);
        Assert.Equal<DailyUsage>([new(today, "delta", 1, 4_000, 2_000, 0.004m)], usage.ByDay);
    }

    [Fact]
    public void WithoutQuotaOrBudgetNothingIsLeftToReport()
    {
        var usage = TenantReports.Usage(_parts.Account(), Wide, T0);

        Assert.Null(usage.MonthlyBudgetUsd);
        Assert.Null(usage.RemainingBudgetUsd);
        Assert.Null(usage.MonthlyTokenQuota);
        Assert.Null(usage.RemainingTokens);
    }

    [Fact]
    public void ReportsTheBucketsAsTheRateLimitHeadersDo()
    {
        var account = _parts.Account(limits: Wide with { RequestsPerMinute = 60, TokensPerMinute = 6_000 });
        account.Reserve(_policy.Decide(Request("r1", prompt: 2_000, output: 1_000), account, Wide, true, T0).Reserve!, T0);

        Assert.Equal(new RateLimitStatus(60, 59, TimeSpan.FromSeconds(1), 6_000, 3_000, TimeSpan.FromSeconds(30)), TenantReports.RateLimits(account, T0));
    }

    [Fact]
    public void AnAdmissionAnswersTheChainTheWorstCaseAnEnabledCacheAndTheFairShareWeight()
    {
        var cache = new TenantCacheSettings(true);
        var account = _parts.Account(Unlimited with { Cache = cache });
        var decision = _policy.Decide(new AdmissionRequest("r1", "alpha", 1_000, 1_000), account, Wide, true, T0);
        account.Reserve(decision.Reserve!, T0);

        var result = TenantReports.Admission(decision, account, Wide with { FairShareWeight = 4 }, T0);

        Assert.Equal(new AdmissionResult(AdmissionOutcome.Admitted, TenantReports.RateLimits(account, T0), TimeSpan.Zero, result.Chain, 5_000, cache, FairShareWeight: 4, OutputCaps: result.OutputCaps), result);
        Assert.Equal(["alpha", "beta", "gamma"], Assert.IsType<string[]>(result.Chain));
        Assert.Equal([1_000, 4_000, 500], Assert.IsType<int[]>(result.OutputCaps));
        Assert.Equal(995_000, result.RateLimits.RemainingTokens);
    }

    [Fact]
    public void ARefusalAnswersTheBucketsAndTheWaitButNoChainNorCache()
    {
        var account = _parts.Account(Unlimited with { Cache = new TenantCacheSettings(true) }, Wide with { RequestsPerMinute = 1 });
        account.Reserve(_policy.Decide(Request("r1"), account, Wide, true, T0).Reserve!, T0);
        var decision = _policy.Decide(Request("r2"), account, Wide, true, T0);

        var result = TenantReports.Admission(decision, account, Wide, T0);

        Assert.Equal(new AdmissionResult(AdmissionOutcome.RequestRateExceeded, TenantReports.RateLimits(account, T0), TimeSpan.FromMinutes(1)), result);
    }

    [Fact]
    public void ADisabledCacheIsNotAnswered()
    {
        var account = _parts.Account(Unlimited with { Cache = new TenantCacheSettings(false) });

        var result = TenantReports.Admission(_policy.Decide(Request("r1"), account, Wide, true, T0), account, Wide, T0);

        Assert.True(result.IsAdmitted, $"Expected admitted, was {result.Outcome}.");
        Assert.Null(result.Cache);
    }
}
