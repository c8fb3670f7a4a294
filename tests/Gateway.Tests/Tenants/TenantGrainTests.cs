using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gateway.Grains.Abstractions.Keys;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Tenants;

/// <summary>
/// The tenant grain through the real cluster: configuration, admission (budget, quota, rates, concurrency,
/// allow-list), settlement, release, expiry, month rollover and keys. Every test uses its own tenant and only
/// moves the shared clock forward.
/// </summary>
/// <remarks>
/// Prices (per one million tokens): gpt-4.1 $2 in / $8 out; deepseek-v3.2 $0.28 in / $0.42 out.
/// A gpt-4.1 request of 1,000 prompt + 500 output tokens has a worst case of (2,000 + 4,000) / 1e6 = $0.006.
/// </remarks>
[Collection(ClusterCollection.Name)]
public sealed class TenantGrainTests(ClusterFixture cluster)
{
    private const string Gpt = "gpt-4.1";
    private const string DeepSeek = "deepseek-v3.2";

    /// <summary>The worst case of <see cref="Admitted(ITenantGrain)"/>: 1,000 prompt + 500 output tokens of gpt-4.1.</summary>
    private const decimal StandardCost = 0.006m;

    private static readonly TenantConfig Gold = new("gold", null, null, null, TenantLimits.None);

    private DateTimeOffset Now => cluster.Clock.GetUtcNow();

    // ---- creation, reading, updating ----

    [Theory]
    [InlineData("bronze", 60, 100_000L, 1_000_000L, 5, 1)]
    [InlineData("silver", 300, 500_000L, 10_000_000L, 20, 2)]
    [InlineData("gold", 1_000, 2_000_000L, 100_000_000L, 100, 4)]
    [InlineData("platinum", 10_000, 20_000_000L, null, 500, 8)]
    public async Task CreateReturnsTheViewWithTheTierLimitsInEffect(string tier, int rpm, long tpm, long? quota, int concurrent, int weight)
    {
        var id = NewTenantId();
        var config = new TenantConfig(tier, null, null, null, TenantLimits.None);

        var view = await Tenant(id).CreateAsync(config);

        Assert.NotNull(view);
        Assert.Equal(id, view.Id);
        Assert.Equal(config, view.Config);
        Assert.Equal(new EffectiveLimits(rpm, tpm, concurrent, quota, null, weight), view.Effective);
        Assert.Empty(view.Keys);
        Assert.Equal(Now, view.CreatedAt);
        AssertEmptyUsage(view.Usage, Period(Now));
        Assert.Null(view.Usage.MonthlyBudgetUsd);
        Assert.Null(view.Usage.RemainingBudgetUsd);
        Assert.Equal(quota, view.Usage.MonthlyTokenQuota);
        Assert.Equal(quota, view.Usage.RemainingTokens);

        var limits = await Tenant(id).GetRateLimitsAsync();
        Assert.Equal(new RateLimitStatus(rpm, rpm, TimeSpan.Zero, tpm, tpm, TimeSpan.Zero), limits);
    }

    [Fact]
    public async Task CreateAppliesTheTenantsOverridesOverTheTier()
    {
        var config = new TenantConfig("bronze", [Gpt], 12.5m, 42_000, new TenantLimits(7, 9_000, 3));

        var view = await Tenant(NewTenantId()).CreateAsync(config);

        Assert.NotNull(view);
        Assert.Equal(new EffectiveLimits(7, 9_000, 3, 42_000, 12.5m, 1), view.Effective);
        Assert.Equal(12.5m, view.Usage.MonthlyBudgetUsd);
        Assert.Equal(12.5m, view.Usage.RemainingBudgetUsd);
        Assert.Equal(42_000, view.Usage.RemainingTokens);
    }

    [Fact]
    public async Task RefusesToCreateATenantThatExistsAndKeepsTheFirstConfiguration()
    {
        var id = NewTenantId();
        var first = new TenantConfig("silver", null, 5m, null, TenantLimits.None);
        Assert.NotNull(await Tenant(id).CreateAsync(first));

        var second = await Tenant(id).CreateAsync(new TenantConfig("platinum", null, null, null, TenantLimits.None));

        Assert.Null(second);
        var view = await Tenant(id).GetAsync();
        Assert.NotNull(view);
        Assert.Equal(first, view.Config);
        Assert.Equal("silver", view.Config.Tier);
    }

    [Fact]
    public async Task AnUnknownTenantHasNoViewUsageLimitsOrKeys()
    {
        var tenant = Tenant(NewTenantId());

        Assert.Null(await tenant.GetAsync());
        Assert.Null(await tenant.GetUsageAsync());
        Assert.Equal(RateLimitStatus.Empty, await tenant.GetRateLimitsAsync());
        Assert.Null(await tenant.UpdateAsync(Patch(tier: "gold")));
        Assert.False(await tenant.RevokeKeyAsync("key-1"));
        Assert.Null(await tenant.GetAsync()); // none of the above created it
    }

    [Fact]
    public async Task ATenantWhoseTierIsNotConfiguredIsRefusedButStillReadableAndMovable()
    {
        // As after an operator removed a custom tier from Gateway:Tiers that the tenant was in.
        var tenant = Tenant(NewTenantId());
        var view = await tenant.CreateAsync(new TenantConfig("copper", null, 5m, null, TenantLimits.None));

        Assert.Equal(new EffectiveLimits(0, 0, 0, 0, 5m, 0), view!.Effective);
        var refused = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 10, 10));
        Assert.Equal((AdmissionOutcome.TierNotConfigured, RateLimitStatus.Empty), (refused.Outcome, refused.RateLimits));
        Assert.Equal(0, (await tenant.GetUsageAsync())!.Requests);
        Assert.Equal(RateLimitStatus.Empty, await tenant.GetRateLimitsAsync());
        Assert.Equal(0, await tenant.GetPromptCeilingAsync(new AdmissionRequest(NewRequestId(), Gpt, 10, 10)));

        var moved = await tenant.UpdateAsync(Patch(tier: "gold"));

        Assert.Equal(1_000, moved!.Effective.RequestsPerMinute);
        Assert.Equal(AdmissionOutcome.Admitted, (await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 10, 10))).Outcome);
    }

    [Fact]
    public async Task RefusesAdmissionForAnUnknownTenant()
    {
        var result = await Tenant(NewTenantId()).AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 10, 10));

        Assert.Equal(AdmissionOutcome.UnknownTenant, result.Outcome);
        Assert.Equal(RateLimitStatus.Empty, result.RateLimits);
        Assert.Equal(TimeSpan.Zero, result.RetryAfter);
    }

    [Fact]
    public async Task UpdateChangesTierAndOverridesAndLeavesAbsentMembersAlone()
    {
        var id = NewTenantId();
        Assert.NotNull(await Tenant(id).CreateAsync(new TenantConfig("bronze", [Gpt], null, null, new TenantLimits(10, null, null))));

        var updated = await Tenant(id).UpdateAsync(Patch(
            tier: "gold",
            budget: Patch<decimal?>.To(12.5m),
            concurrent: Patch<int?>.To(7)));

        Assert.NotNull(updated);
        Assert.Equal("gold", updated.Config.Tier);
        Assert.Equal(new[] { Gpt }, updated.Config.AllowedModels);
        Assert.Equal(12.5m, updated.Config.MonthlyBudgetUsd);
        Assert.Null(updated.Config.MonthlyTokenQuota);
        Assert.Equal(new TenantLimits(10, null, 7), updated.Config.Limits);
        Assert.Equal(new EffectiveLimits(10, 2_000_000, 7, 100_000_000, 12.5m, 4), updated.Effective);

        var read = await Tenant(id).GetAsync();
        Assert.NotNull(read);
        Assert.Equal(updated.Effective, read.Effective);
        Assert.Equal(12.5m, read.Usage.MonthlyBudgetUsd);
    }

    [Fact]
    public async Task UpdateWithANullOverrideResetsItToTheTierDefault()
    {
        var id = NewTenantId();
        Assert.NotNull(await Tenant(id).CreateAsync(new TenantConfig("silver", [Gpt], 3m, 5_000, new TenantLimits(10, 20_000, 2))));

        var updated = await Tenant(id).UpdateAsync(Patch(
            models: Patch<IReadOnlyList<string>?>.To(null),
            budget: Patch<decimal?>.To(null),
            quota: Patch<long?>.To(null),
            rpm: Patch<int?>.To(null),
            tpm: Patch<long?>.To(null),
            concurrent: Patch<int?>.To(null)));

        Assert.NotNull(updated);
        Assert.Equal(new TenantConfig("silver", null, null, null, TenantLimits.None), updated.Config);
        Assert.Equal(new EffectiveLimits(300, 500_000, 20, 10_000_000, null, 2), updated.Effective);
        Assert.Null(updated.Usage.RemainingBudgetUsd);
        Assert.Equal(10_000_000, updated.Usage.RemainingTokens);
        Assert.Equal(new RateLimitStatus(300, 300, TimeSpan.Zero, 500_000, 500_000, TimeSpan.Zero), await Tenant(id).GetRateLimitsAsync());
    }

    [Fact]
    public async Task UpdateResizesTheRateBucketsKeepingHowFullTheyAre()
    {
        var id = NewTenantId();
        var tenant = Tenant(id);
        Assert.NotNull(await tenant.CreateAsync(Gold with { Limits = new TenantLimits(4, 8_000, null) }));
        await Admitted(tenant, 3_000, 1_000); // the request bucket is 3/4 full, the token bucket 1/2

        await tenant.UpdateAsync(Patch(rpm: Patch<int?>.To(8), tpm: Patch<long?>.To(16_000)));

        var limits = await tenant.GetRateLimitsAsync();
        Assert.Equal(8, limits.RequestLimit);
        Assert.Equal(6, limits.RemainingRequests);
        Assert.Equal(16_000, limits.TokenLimit);
        Assert.Equal(8_000, limits.RemainingTokens);
        Assert.Equal(TimeSpan.FromSeconds(30), limits.TokensReset); // 8,000 tokens at 16,000 per minute
    }

    // ---- budget and quota ----

    [Fact]
    public async Task AdmitsExactlyAsManyRequestsAsTheBudgetCoversAndOneMoreAfterARelease()
    {
        var tenant = await CreateAsync(Gold with { MonthlyBudgetUsd = 5 * StandardCost });
        var admitted = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            admitted.Add(await Admitted(tenant));
        }

        var sixth = await tenant.AdmitAsync(Standard(NewRequestId()));

        Assert.Equal(AdmissionOutcome.BudgetExhausted, sixth.Outcome);
        Assert.Equal(TimeSpan.Zero, sixth.RetryAfter);
        var usage = await Usage(tenant);
        Assert.Equal(5, usage.InFlight);
        Assert.Equal(5 * 1_500, usage.ReservedTokens);
        Assert.Equal(0.030m, usage.ReservedUsd);
        Assert.Equal(0m, usage.CostUsd);

        await tenant.ReleaseAsync(admitted[2]);

        await Admitted(tenant);
        Assert.Equal(AdmissionOutcome.BudgetExhausted, (await tenant.AdmitAsync(Standard(NewRequestId()))).Outcome);
    }

    [Fact]
    public async Task SettlingBelowTheWorstCaseFreesTheDifferenceOfTheBudget()
    {
        var tenant = await CreateAsync(Gold with { MonthlyBudgetUsd = 2 * StandardCost });
        var first = await Admitted(tenant);
        await Admitted(tenant);
        Assert.Equal(AdmissionOutcome.BudgetExhausted, (await tenant.AdmitAsync(Standard(NewRequestId()))).Outcome);

        // 1,000 in + 250 out = (2,000 + 2,000) / 1e6 = $0.004 of the $0.006 reserved: $0.002 comes free.
        await tenant.SettleAsync(new Settlement(first, Gpt, 1_000, 250));

        var usage = await Usage(tenant);
        Assert.Equal(0.004m, usage.CostUsd);
        Assert.Equal(0.006m, usage.ReservedUsd);
        Assert.Equal(0.008m, usage.RemainingBudgetUsd);
        Assert.Equal(AdmissionOutcome.BudgetExhausted, (await tenant.AdmitAsync(Standard(NewRequestId()))).Outcome);
        await Admitted(tenant, 1_000, 0); // exactly $0.002
        var overByTwoMillionths = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 1, 0));
        Assert.Equal(AdmissionOutcome.BudgetExhausted, overByTwoMillionths.Outcome);
    }

    [Fact]
    public async Task RefusesWhenUsedPlusReservedPlusRequestedTokensExceedTheMonthlyQuota()
    {
        var tenant = await CreateAsync(Gold with { MonthlyTokenQuota = 10_000 });
        var first = await Admitted(tenant, 3_000, 3_000);
        await tenant.SettleAsync(new Settlement(first, Gpt, 2_000, 2_000)); // used: 4,000
        await Admitted(tenant, 3_000, 1_000);                                // reserved: 4,000

        var over = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 1_000, 1_001));

        Assert.Equal(AdmissionOutcome.TokenQuotaExhausted, over.Outcome);
        Assert.Equal(TimeSpan.Zero, over.RetryAfter);
        await Admitted(tenant, 1_000, 1_000); // exactly up to the quota
        Assert.Equal(AdmissionOutcome.TokenQuotaExhausted, (await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 1, 0))).Outcome);
        var usage = await Usage(tenant);
        Assert.Equal(4_000, usage.InputTokens + usage.OutputTokens);
        Assert.Equal(6_000, usage.ReservedTokens);
        Assert.Equal(6_000, usage.RemainingTokens);
    }

    // ---- rates and concurrency ----

    [Fact]
    public async Task RefusesTheRequestOverTheRequestsPerMinuteWithAnExactRetryAfter()
    {
        var tenant = await CreateAsync(Gold with { Limits = new TenantLimits(3, null, null) });
        for (var i = 0; i < 3; i++)
        {
            await Admitted(tenant, 10, 10);
        }

        var fourth = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 10, 10));

        Assert.Equal(AdmissionOutcome.RequestRateExceeded, fourth.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(20), fourth.RetryAfter); // 3 per minute: one every 20 s
        Assert.Equal(3, fourth.RateLimits.RequestLimit);
        Assert.Equal(0, fourth.RateLimits.RemainingRequests);
        Assert.Equal(TimeSpan.FromMinutes(1), fourth.RateLimits.RequestsReset);

        cluster.Clock.Advance(TimeSpan.FromSeconds(20) - TimeSpan.FromTicks(1));
        var early = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 10, 10));
        Assert.Equal(AdmissionOutcome.RequestRateExceeded, early.Outcome);
        Assert.Equal(TimeSpan.FromTicks(1), early.RetryAfter);

        cluster.Clock.Advance(TimeSpan.FromTicks(1));
        await Admitted(tenant, 10, 10);
        var next = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 10, 10));
        Assert.Equal(AdmissionOutcome.RequestRateExceeded, next.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(20), next.RetryAfter);
    }

    [Fact]
    public async Task TokenCountsHaveAnAllowanceOfTheirOwnAtTheRequestsPerMinute()
    {
        var tenant = await CreateAsync(Gold with { Limits = new TenantLimits(3, null, null), AllowedModels = [Gpt] });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(AdmissionOutcome.Admitted, (await tenant.AdmitCountAsync(Gpt)).Outcome);
        }

        var fourth = await tenant.AdmitCountAsync(Gpt);
        Assert.Equal(AdmissionOutcome.RequestRateExceeded, fourth.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(20), fourth.RetryAfter); // 3 per minute: one every 20 s
        Assert.Equal((3L, 0L), (fourth.RateLimits.RequestLimit, fourth.RateLimits.RemainingRequests));

        // The requests' own bucket is untouched: three requests are still admitted, and take nothing from the counts.
        for (var i = 0; i < 3; i++)
        {
            await Admitted(tenant, 10, 10);
        }

        cluster.Clock.Advance(TimeSpan.FromSeconds(20) - TimeSpan.FromTicks(1));
        Assert.Equal(AdmissionOutcome.RequestRateExceeded, (await tenant.AdmitCountAsync(Gpt)).Outcome);
        cluster.Clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(AdmissionOutcome.Admitted, (await tenant.AdmitCountAsync(Gpt)).Outcome);

        Assert.Equal(AdmissionOutcome.ModelNotAllowed, (await tenant.AdmitCountAsync(DeepSeek)).Outcome);
        Assert.Equal(AdmissionOutcome.UnknownTenant, (await Tenant(NewTenantId()).AdmitCountAsync(Gpt)).Outcome);
    }

    [Fact]
    public async Task RefusesTheRequestOverTheTokensPerMinuteWithAnExactRetryAfterAndGivesBackItsRequest()
    {
        var tenant = await CreateAsync(Gold with { Limits = new TenantLimits(null, 6_000, null) }); // 100 tokens per second
        var first = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 4_000, 1_000));
        Assert.True(first.IsAdmitted, $"The first request should be admitted but was {first.Outcome}.");
        Assert.Equal(1_000, first.RateLimits.RemainingTokens);
        Assert.Equal(TimeSpan.FromSeconds(50), first.RateLimits.TokensReset);

        var second = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 2_000, 1_000));

        Assert.Equal(AdmissionOutcome.TokenRateExceeded, second.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(20), second.RetryAfter); // 2,000 missing tokens at 100 per second
        Assert.Equal(1_000, second.RateLimits.RemainingTokens);
        Assert.Equal(999, second.RateLimits.RemainingRequests); // the refused request's own request was given back

        cluster.Clock.Advance(TimeSpan.FromSeconds(20));
        var retried = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 2_000, 1_000));
        Assert.True(retried.IsAdmitted, $"After 20 s the 3,000 tokens should be there but the outcome was {retried.Outcome} (retry after {retried.RetryAfter}).");
        Assert.Equal(0, retried.RateLimits.RemainingTokens);
    }

    [Fact]
    public async Task RefusesARequestLargerThanTheTokensPerMinuteAsTooLargeAndTakesNothing()
    {
        var tenant = await CreateAsync(Gold with { Limits = new TenantLimits(null, 6_000, null) });

        var tooLarge = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 5_000, 1_001));

        Assert.Equal(AdmissionOutcome.RequestTooLarge, tooLarge.Outcome);
        Assert.Equal(TimeSpan.FromMinutes(1), tooLarge.RetryAfter);
        Assert.Equal(new RateLimitStatus(1_000, 1_000, TimeSpan.Zero, 6_000, 6_000, TimeSpan.Zero), await tenant.GetRateLimitsAsync());
        await Admitted(tenant, 5_000, 1_000); // exactly the capacity
    }

    [Fact]
    public async Task RefusesTheRequestOverTheConcurrencyCapUntilOneSettles()
    {
        var tenant = await CreateAsync(Gold with { Limits = new TenantLimits(null, null, 2) });
        var first = await Admitted(tenant);
        var second = await Admitted(tenant);

        var third = await tenant.AdmitAsync(Standard(NewRequestId()));

        Assert.Equal(AdmissionOutcome.ConcurrencyExceeded, third.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(1), third.RetryAfter);

        await tenant.SettleAsync(new Settlement(first, Gpt, 1_000, 500));
        await Admitted(tenant);
        Assert.Equal(AdmissionOutcome.ConcurrencyExceeded, (await tenant.AdmitAsync(Standard(NewRequestId()))).Outcome);

        await tenant.ReleaseAsync(second);
        await Admitted(tenant);
        Assert.Equal(2, (await Usage(tenant)).InFlight);
    }

    [Fact]
    public async Task ARepeatedAdmissionOfTheSameRequestHoldsNothingTwice()
    {
        var tenant = await CreateAsync(Gold with { MonthlyBudgetUsd = StandardCost, Limits = new TenantLimits(null, null, 1) });
        var requestId = await Admitted(tenant);

        var again = await tenant.AdmitAsync(Standard(requestId));

        Assert.Equal(AdmissionOutcome.Admitted, again.Outcome);
        var usage = await Usage(tenant);
        Assert.Equal(1, usage.InFlight);
        Assert.Equal(StandardCost, usage.ReservedUsd);
        Assert.Equal(1_500, usage.ReservedTokens);
    }

    // ---- settlement and release ----

    [Fact]
    public async Task SettlingTheSameRequestTwiceChargesOnce()
    {
        var tenant = await CreateAsync(Gold);
        var requestId = await Admitted(tenant);
        var settlement = new Settlement(requestId, Gpt, 1_000, 400);

        await tenant.SettleAsync(settlement);
        await tenant.SettleAsync(settlement);

        var usage = await Usage(tenant);
        Assert.Equal(1, usage.Requests);
        Assert.Equal(1_000, usage.InputTokens);
        Assert.Equal(400, usage.OutputTokens);
        Assert.Equal(0.0052m, usage.CostUsd); // (1,000 × 2 + 400 × 8) / 1e6
        Assert.Equal(0, usage.InFlight);
        Assert.Equal(2_000_000 - 1_400, (await tenant.GetRateLimitsAsync()).RemainingTokens);
    }

    [Fact]
    public async Task ChargesTheExactDecimalCostPerModelAndPerDay()
    {
        var tenant = await CreateAsync(Gold with { MonthlyBudgetUsd = 1m });
        var a = await Admitted(tenant, 2_000, 1_000);
        var b = await Admitted(tenant, 10, 10);
        var c = await Admitted(tenant, 2_000, 1_000, DeepSeek);

        await tenant.SettleAsync(new Settlement(a, Gpt, 1_234, 567));             // 2,468 + 4,536 = 7,004 µ$
        await tenant.SettleAsync(new Settlement(b, Gpt, 1, 1));                   // 2 + 8 = 10 µ$
        await tenant.SettleAsync(new Settlement(c, DeepSeek, 1_001, 333));        // 280.28 + 139.86 = 420.14 µ$

        var usage = await Usage(tenant);
        Assert.Equal(3, usage.Requests);
        Assert.Equal(2_236, usage.InputTokens);
        Assert.Equal(901, usage.OutputTokens);
        Assert.Equal(0.00743414m, usage.CostUsd);
        Assert.Equal(0.99256586m, usage.RemainingBudgetUsd);
        Assert.Equal(0m, usage.ReservedUsd);
        Assert.Equal<ModelUsage>(
            [new ModelUsage(DeepSeek, 1, 1_001, 333, 0.00042014m), new ModelUsage(Gpt, 2, 1_235, 568, 0.007014m)],
            usage.ByModel);
        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        Assert.Equal<DailyUsage>(
            [new DailyUsage(today, DeepSeek, 1, 1_001, 333, 0.00042014m), new DailyUsage(today, Gpt, 2, 1_235, 568, 0.007014m)],
            usage.ByDay);
    }

    [Fact]
    public async Task SettlingMoreThanWasReservedTakesTheExtraTokensFromTheBucket()
    {
        var tenant = await CreateAsync(Gold with { Limits = new TenantLimits(null, 6_000, null) });
        var requestId = await Admitted(tenant, 1_000, 1_000);

        await tenant.SettleAsync(new Settlement(requestId, Gpt, 1_000, 4_000)); // 3,000 more than reserved

        Assert.Equal(1_000, (await tenant.GetRateLimitsAsync()).RemainingTokens);
        var next = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 1_000, 1_000));
        Assert.Equal(AdmissionOutcome.TokenRateExceeded, next.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(10), next.RetryAfter);
    }

    [Fact]
    public async Task ReleasingChargesNothingAndFreesTheReservation()
    {
        var tenant = await CreateAsync(Gold);
        var requestId = await Admitted(tenant);
        var held = await Usage(tenant);
        Assert.Equal(1, held.InFlight);
        Assert.Equal(1_500, held.ReservedTokens);
        Assert.Equal(StandardCost, held.ReservedUsd);
        Assert.Equal(2_000_000 - 1_500, (await tenant.GetRateLimitsAsync()).RemainingTokens);

        await tenant.ReleaseAsync(requestId);
        await tenant.ReleaseAsync(requestId); // a second release finds nothing to release

        var usage = await Usage(tenant);
        AssertEmptyUsage(usage, Period(Now));
        Assert.Equal(2_000_000, (await tenant.GetRateLimitsAsync()).RemainingTokens);
    }

    [Fact]
    public async Task ReleasesAReservationThatIsNeverSettledWhenItTimesOut()
    {
        var timeout = ReservationTimeout();
        var tenant = await CreateAsync(Gold with { MonthlyBudgetUsd = StandardCost });
        await Admitted(tenant);
        Assert.Equal(AdmissionOutcome.BudgetExhausted, (await tenant.AdmitAsync(Standard(NewRequestId()))).Outcome);

        cluster.Clock.Advance(timeout - TimeSpan.FromTicks(1));
        var held = await Usage(tenant);
        Assert.Equal(1, held.InFlight);
        Assert.Equal(StandardCost, held.ReservedUsd);
        Assert.Equal(AdmissionOutcome.BudgetExhausted, (await tenant.AdmitAsync(Standard(NewRequestId()))).Outcome);

        cluster.Clock.Advance(TimeSpan.FromTicks(1));
        var expired = await Usage(tenant);
        Assert.Equal(0, expired.InFlight);
        Assert.Equal(0, expired.ReservedTokens);
        Assert.Equal(0m, expired.ReservedUsd);
        Assert.Equal(0m, expired.CostUsd);
        await Admitted(tenant);
    }

    [Fact]
    public async Task ChargesASettlementWhoseReservationHasExpired()
    {
        var tenant = await CreateAsync(Gold with { Limits = new TenantLimits(null, 6_000, null) });
        var requestId = await Admitted(tenant);
        cluster.Clock.Advance(ReservationTimeout());
        Assert.Equal(0, (await Usage(tenant)).InFlight);

        await tenant.SettleAsync(new Settlement(requestId, Gpt, 1_000, 500));
        await tenant.SettleAsync(new Settlement(requestId, Gpt, 1_000, 500));

        var usage = await Usage(tenant);
        Assert.Equal(1, usage.Requests);
        Assert.Equal(StandardCost, usage.CostUsd);
        Assert.Equal(0, usage.InFlight);
        Assert.Equal(4_500, (await tenant.GetRateLimitsAsync()).RemainingTokens);
    }

    [Fact]
    public async Task ChargesASettlementThatWasNeverAdmitted()
    {
        var tenant = await CreateAsync(Gold);

        await tenant.SettleAsync(new Settlement(NewRequestId(), DeepSeek, 100, 100));

        var usage = await Usage(tenant);
        Assert.Equal(1, usage.Requests);
        Assert.Equal(0.00007m, usage.CostUsd); // (100 × 0.28 + 100 × 0.42) / 1e6
        Assert.Equal<ModelUsage>([new ModelUsage(DeepSeek, 1, 100, 100, 0.00007m)], usage.ByModel);
    }

    // ---- month rollover ----

    [Fact]
    public async Task StartsAFreshPeriodInTheNextCalendarMonth()
    {
        var tenant = await CreateAsync(Gold with { MonthlyBudgetUsd = StandardCost, MonthlyTokenQuota = 1_500 });
        var requestId = await Admitted(tenant);
        await tenant.SettleAsync(new Settlement(requestId, Gpt, 1_000, 500));
        var before = await Usage(tenant);
        Assert.Equal(Period(Now), before.Period);
        Assert.Equal(StandardCost, before.CostUsd);
        Assert.Equal(0, before.RemainingTokens);
        Assert.Equal(AdmissionOutcome.TokenQuotaExhausted, (await tenant.AdmitAsync(Standard(NewRequestId()))).Outcome);

        var now = Now;
        var nextMonth = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        cluster.Clock.Advance(nextMonth - now + TimeSpan.FromMinutes(1));

        var expectedPeriod = nextMonth.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        Assert.NotEqual(before.Period, expectedPeriod);
        var view = await tenant.GetAsync(); // read before anything else has rolled the period over
        Assert.NotNull(view);
        AssertEmptyUsage(view.Usage, expectedPeriod);
        var usage = await Usage(tenant);
        AssertEmptyUsage(usage, expectedPeriod);
        Assert.Equal(StandardCost, usage.RemainingBudgetUsd);
        Assert.Equal(1_500, usage.RemainingTokens);
        await Admitted(tenant);
    }

    // ---- model allow-list ----

    [Theory]
    [InlineData(DeepSeek)]
    [InlineData("deepseek-chat")]
    [InlineData("claude-sonnet-4.5")]
    [InlineData("no-such-model")]
    public async Task RefusesAModelOutsideTheAllowList(string model)
    {
        var tenant = await CreateAsync(Gold with { AllowedModels = [Gpt] });

        var result = await tenant.AdmitAsync(new AdmissionRequest(NewRequestId(), model, 10, 10));

        Assert.Equal(AdmissionOutcome.ModelNotAllowed, result.Outcome);
        Assert.Equal(TimeSpan.Zero, result.RetryAfter);
        Assert.Equal(0, (await Usage(tenant)).InFlight);
    }

    [Theory]
    [InlineData(Gpt)]
    [InlineData("GPT-4.1")]
    public async Task AdmitsAModelOnTheAllowList(string model)
    {
        var tenant = await CreateAsync(Gold with { AllowedModels = [Gpt] });

        await Admitted(tenant, 10, 10, model);
    }

    // ---- keys ----

    [Fact]
    public async Task AddingAKeyRegistersItsHashForLookup()
    {
        var id = NewTenantId();
        Assert.NotNull(await Tenant(id).CreateAsync(Gold));
        var hash = NewKeyHash();

        var added = await Tenant(id).AddKeyAsync("key-1", hash);

        Assert.Equal(new AddKeyResult(AddKeyOutcome.Added, new ApiKeyInfo("key-1", Now, null)), added);
        Assert.Equal(new ApiKeyRecord(id, "key-1", Revoked: false), await Key(hash).ResolveAsync());
        var view = await Tenant(id).GetAsync();
        Assert.NotNull(view);
        Assert.Equal<ApiKeyInfo>([new ApiKeyInfo("key-1", Now, null)], view.Keys);
    }

    [Fact]
    public async Task RevokingAKeyMarksItRevokedForLookup()
    {
        var id = NewTenantId();
        Assert.NotNull(await Tenant(id).CreateAsync(Gold));
        var hash = NewKeyHash();
        var created = (await Tenant(id).AddKeyAsync("key-1", hash)).Key;
        Assert.NotNull(created);
        cluster.Clock.Advance(TimeSpan.FromMinutes(1));
        var revokedAt = Now;

        Assert.True(await Tenant(id).RevokeKeyAsync("key-1"));

        Assert.Equal(new ApiKeyRecord(id, "key-1", Revoked: true), await Key(hash).ResolveAsync());
        cluster.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await Tenant(id).RevokeKeyAsync("key-1"), "Revoking a revoked key is still a success.");
        var view = await Tenant(id).GetAsync();
        Assert.NotNull(view);
        Assert.Equal<ApiKeyInfo>([new ApiKeyInfo("key-1", created.CreatedAt, revokedAt)], view.Keys);
    }

    [Fact]
    public async Task RevokingAnUnknownKeyReturnsFalseAndLeavesTheOthersAlone()
    {
        var id = NewTenantId();
        Assert.NotNull(await Tenant(id).CreateAsync(Gold));
        var hash = NewKeyHash();
        Assert.Equal(AddKeyOutcome.Added, (await Tenant(id).AddKeyAsync("key-1", hash)).Outcome);

        Assert.False(await Tenant(id).RevokeKeyAsync("key-2"));

        Assert.Equal(new ApiKeyRecord(id, "key-1", Revoked: false), await Key(hash).ResolveAsync());
    }

    [Fact]
    public async Task AddingAKeyToAnUnknownTenantRegistersNothing()
    {
        var hash = NewKeyHash();

        Assert.Equal(new AddKeyResult(AddKeyOutcome.UnknownTenant), await Tenant(NewTenantId()).AddKeyAsync("key-1", hash));

        Assert.Null(await Key(hash).ResolveAsync());
    }

    [Fact]
    public async Task AKeyThatWasNeverIssuedResolvesToNothing()
    {
        Assert.Null(await Key(NewKeyHash()).ResolveAsync());
    }

    [Fact]
    public async Task RevokingAKeyThatWasNeverIssuedLeavesItUnresolved()
    {
        var hash = NewKeyHash();

        await Key(hash).RevokeAsync();

        Assert.Null(await Key(hash).ResolveAsync());
    }

    // ---- persistence ----

    [Fact]
    public async Task KeepsConfigurationUsageAndBucketsAcrossReactivation()
    {
        var id = NewTenantId();
        var config = Gold with { MonthlyBudgetUsd = 1m, Limits = new TenantLimits(1, 6_000, null) };
        Assert.NotNull(await Tenant(id).CreateAsync(config));
        var requestId = await Admitted(Tenant(id), 4_000, 1_000);                   // the request bucket is now empty
        await Tenant(id).SettleAsync(new Settlement(requestId, Gpt, 3_000, 1_000)); // $0.014; 4,000 of 6,000 tokens
        var expected = new RateLimitStatus(1, 0, TimeSpan.FromMinutes(1), 6_000, 2_000, TimeSpan.FromSeconds(40));
        Assert.Equal(expected, await Tenant(id).GetRateLimitsAsync());

        await cluster.Cluster.DeactivateAsync(Tenant(id));

        var view = await Tenant(id).GetAsync();
        Assert.NotNull(view);
        Assert.Equal(config, view.Config);
        Assert.Equal(1, view.Usage.Requests);
        Assert.Equal(0.014m, view.Usage.CostUsd);
        Assert.Equal(expected, await Tenant(id).GetRateLimitsAsync());
        var refused = await Tenant(id).AdmitAsync(new AdmissionRequest(NewRequestId(), Gpt, 10, 10));
        Assert.Equal(AdmissionOutcome.RequestRateExceeded, refused.Outcome);
        Assert.Equal(TimeSpan.FromMinutes(1), refused.RetryAfter);
    }

    // ---- helpers ----

    private static string NewTenantId() => "t-" + Guid.NewGuid().ToString("N");

    private static string NewRequestId() => "req_" + Guid.NewGuid().ToString("N");

    private static string NewKeyHash() =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("sk-test-" + Guid.NewGuid().ToString("N"))));

    private static string Period(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static AdmissionRequest Standard(string requestId) => new(requestId, Gpt, 1_000, 500);

    private static TenantPatch Patch(
        string? tier = null,
        Patch<IReadOnlyList<string>?> models = default,
        Patch<decimal?> budget = default,
        Patch<long?> quota = default,
        Patch<int?> rpm = default,
        Patch<long?> tpm = default,
        Patch<int?> concurrent = default) =>
        new(tier, models, budget, quota, rpm, tpm, concurrent);

    private static void AssertEmptyUsage(UsageReport usage, string period)
    {
        Assert.Equal(period, usage.Period);
        Assert.Equal(0, usage.Requests);
        Assert.Equal(0, usage.InputTokens);
        Assert.Equal(0, usage.OutputTokens);
        Assert.Equal(0m, usage.CostUsd);
        Assert.Empty(usage.ByModel);
        Assert.Empty(usage.ByDay);
        Assert.Equal(0, usage.InFlight);
        Assert.Equal(0, usage.ReservedTokens);
        Assert.Equal(0m, usage.ReservedUsd);
    }

    private ITenantGrain Tenant(string id) => cluster.Grains.GetGrain<ITenantGrain>(id);

    private IApiKeyGrain Key(string hash) => cluster.Grains.GetGrain<IApiKeyGrain>(hash);

    private TimeSpan ReservationTimeout() =>
        cluster.Cluster.Silos[0].ServiceProvider.GetRequiredService<IOptions<TenantGrainOptions>>().Value.ReservationTimeout;

    private async Task<ITenantGrain> CreateAsync(TenantConfig config)
    {
        var tenant = Tenant(NewTenantId());
        Assert.NotNull(await tenant.CreateAsync(config));
        return tenant;
    }

    private static async Task<UsageReport> Usage(ITenantGrain tenant)
    {
        var usage = await tenant.GetUsageAsync();
        Assert.NotNull(usage);
        return usage;
    }

    /// <summary>Admits a 1,000 + 500 token gpt-4.1 request (worst case $0.006) and returns its id.</summary>
    private static Task<string> Admitted(ITenantGrain tenant) => Admitted(tenant, 1_000, 500);

    private static async Task<string> Admitted(ITenantGrain tenant, int promptTokens, int maxOutputTokens, string model = Gpt)
    {
        var requestId = NewRequestId();
        var result = await tenant.AdmitAsync(new AdmissionRequest(requestId, model, promptTokens, maxOutputTokens));
        Assert.True(
            result.IsAdmitted,
            $"A request of {promptTokens} + {maxOutputTokens} tokens of {model} should be admitted but was {result.Outcome} (retry after {result.RetryAfter}).");
        return requestId;
    }
}
