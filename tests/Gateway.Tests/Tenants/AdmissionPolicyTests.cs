using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;
using static Gateway.Tests.Tenants.TenantParts;

namespace Gateway.Tests.Tenants;

/// <summary>
/// Admission decided on an account without a cluster (<see cref="AdmissionPolicy"/>): each limit, the order in which
/// they are checked, the exact retry-after, and that deciding changes nothing until the decision is applied. A delta
/// request of 1,000 + 1,000 tokens costs (500 + 500) µ$ = $0.001.
/// </summary>
public sealed class AdmissionPolicyTests
{
    private static readonly TimeSpan Timeout = Options.ReservationTimeout;

    private readonly AdmissionPolicy _policy = new(TestCatalog(), Timeout);
    private readonly TenantParts _parts = new();

    [Fact]
    public void AdmitsWithAReservationOfTheWorstCaseAtTheRequestedModelsPrices()
    {
        var account = _parts.Account();

        var decision = _policy.Decide(new AdmissionRequest("r1", "alpha", 1_000, 1_000), account, Wide, true, T0);

        Assert.Equal(AdmissionOutcome.Admitted, decision.Outcome);
        Assert.Equal(TimeSpan.Zero, decision.RetryAfter);
        Assert.Equal(["alpha", "beta", "gamma"], Assert.IsType<ServingPlan>(decision.Plan).Chain);
        Assert.Equal(5_000, decision.WorstCaseTokens); // beta may write 4,000
        Assert.Equal(new Reservation("r1", new Pricing("alpha", "provider-a", 2m, 8m), 5_000, 0.01m, T0 + Timeout), decision.Reserve);
    }

    [Fact]
    public void DecidingChangesNothingUntilTheReservationIsApplied()
    {
        var account = _parts.Account(limits: Wide with { RequestsPerMinute = 1, TokensPerMinute = 2_000 });
        var changes = _parts.Changes;

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(AdmissionOutcome.Admitted, _policy.Decide(Request("r1"), account, Wide, true, T0).Outcome);
        }

        Assert.Equal(0, account.Reservations.Count);
        Assert.Equal(1, account.RequestBucket.Available(T0));
        Assert.Equal(2_000, account.TokenBucket.Available(T0));
        Assert.Equal(changes, _parts.Changes);

        account.Reserve(_policy.Decide(Request("r1"), account, Wide, true, T0).Reserve!, T0);
        Assert.Equal(AdmissionOutcome.RequestRateExceeded, _policy.Decide(Request("r2"), account, Wide, true, T0).Outcome);
    }

    [Theory]
    [InlineData("no-such-model")]
    [InlineData("alpha")]
    public void RefusesAModelOutsideTheCatalogOrTheAllowList(string model)
    {
        var account = _parts.Account(Unlimited with { AllowedModels = ["delta"] });

        var decision = _policy.Decide(Request("r1", model), account, Wide, true, T0);

        Assert.Equal(new AdmissionDecision(AdmissionOutcome.ModelNotAllowed), decision);
    }

    [Fact]
    public void AdmitsARepeatedRequestWithoutReservingItAgainEvenWhenNothingElseWouldBe()
    {
        var limits = Wide with { MaxConcurrent = 1, MonthlyBudgetUsd = 0.001m };
        var account = _parts.Account(limits: limits);
        account.Reserve(_policy.Decide(Request("open"), account, limits, true, T0).Reserve!, T0);
        account.Settle(new LedgerEntry("t", 1, "settled", T0, "delta", "provider-d", 1, 1, 0m, Settlement.Completed), T0);

        foreach (var id in new[] { "open", "settled" })
        {
            var decision = _policy.Decide(Request(id), account, limits, ledgerAcceptsWrites: false, T0);

            Assert.Equal(AdmissionOutcome.Admitted, decision.Outcome);
            Assert.Null(decision.Reserve);
            Assert.Equal(["delta"], Assert.IsType<ServingPlan>(decision.Plan).Chain);
            Assert.Equal(2_000, decision.WorstCaseTokens);
        }

        Assert.Equal(1, account.Reservations.Count);
        Assert.Equal(2_000, account.Reservations.Tokens);
    }

    [Fact]
    public void ChecksTheLimitsInOrderAndAnswersTheFirstThatFails()
    {
        // Every limit is broken at first; each is then lifted in turn, in the order admission checks them.
        var account = _parts.Account(limits: Wide with { TokensPerMinute = 1_000 });
        account.Reserve(new Reservation("held", new Pricing("delta", "provider-d", 0.5m, 0.5m), 500, 0.0005m, T0 + Timeout), T0);
        account.RequestBucket.Adjust(999, T0);
        var limits = new EffectiveLimits(1_000, 1_000, 1, 2_000, 0.001m, 1);
        var ledger = false;

        AdmissionDecision Decide() => _policy.Decide(Request("r1"), account, limits, ledger, T0);

        Assert.Equal(new AdmissionDecision(AdmissionOutcome.AccountingUnavailable, TimeSpan.FromSeconds(1)), Decide());
        ledger = true;
        Assert.Equal(new AdmissionDecision(AdmissionOutcome.TokenQuotaExhausted), Decide());
        limits = limits with { MonthlyTokenQuota = 2_500 };
        Assert.Equal(new AdmissionDecision(AdmissionOutcome.BudgetExhausted), Decide());
        limits = limits with { MonthlyBudgetUsd = 0.0015m };
        Assert.Equal(new AdmissionDecision(AdmissionOutcome.RequestTooLarge, TimeSpan.FromMinutes(1)), Decide());
        account.EnsureBuckets(limits with { TokensPerMinute = 2_400 }, T0);
        Assert.Equal(new AdmissionDecision(AdmissionOutcome.ConcurrencyExceeded, TimeSpan.FromSeconds(1)), Decide());
        limits = limits with { MaxConcurrent = 2 };
        Assert.Equal(AdmissionOutcome.RequestRateExceeded, Decide().Outcome);
        account.RequestBucket.Adjust(-1, T0);
        Assert.Equal(AdmissionOutcome.TokenRateExceeded, Decide().Outcome);
        account.TokenBucket.Adjust(-800, T0);
        Assert.Equal(AdmissionOutcome.Admitted, Decide().Outcome);
    }

    [Fact]
    public void AdmitsExactlyUpToTheQuotaCountingUsedAndReservedTokens()
    {
        var limits = Wide with { MonthlyTokenQuota = 10_000 };
        var account = _parts.Account(limits: limits);
        account.Settle(new LedgerEntry("t", 1, "used", T0, "delta", "provider-d", 2_000, 2_000, 0m, Settlement.Completed), T0);
        account.Reserve(_policy.Decide(Request("held", prompt: 3_000, output: 1_000), account, limits, true, T0).Reserve!, T0);

        Assert.Equal(AdmissionOutcome.TokenQuotaExhausted, _policy.Decide(Request("over", prompt: 1_000, output: 1_001), account, limits, true, T0).Outcome);
        Assert.Equal(AdmissionOutcome.Admitted, _policy.Decide(Request("fits", prompt: 1_000, output: 1_000), account, limits, true, T0).Outcome);
    }

    [Fact]
    public void AdmitsExactlyUpToTheBudgetCountingChargedAndReservedCost()
    {
        var limits = Wide with { MonthlyBudgetUsd = 0.005m };
        var account = _parts.Account(limits: limits);
        account.Settle(new LedgerEntry("t", 1, "used", T0, "delta", "provider-d", 0, 0, 0.002m, Settlement.Completed), T0);
        account.Reserve(_policy.Decide(Request("held", prompt: 2_000, output: 2_000), account, limits, true, T0).Reserve!, T0); // $0.002

        Assert.Equal(AdmissionOutcome.BudgetExhausted, _policy.Decide(Request("over", prompt: 1_000, output: 1_002), account, limits, true, T0).Outcome);
        Assert.Equal(AdmissionOutcome.Admitted, _policy.Decide(Request("fits", prompt: 1_000, output: 1_000), account, limits, true, T0).Outcome);
    }

    [Fact]
    public void RefusesOverTheRatesWithTheExactWaitAndTakesNothing()
    {
        var limits = Wide with { RequestsPerMinute = 3, TokensPerMinute = 6_000 }; // one request per 20 s, 100 tokens per second
        var account = _parts.Account(limits: limits);
        account.Reserve(_policy.Decide(Request("r1", prompt: 2_000, output: 2_000), account, limits, true, T0).Reserve!, T0);

        var tokens = _policy.Decide(Request("r2", prompt: 2_000, output: 1_000), account, limits, true, T0);

        Assert.Equal(new AdmissionDecision(AdmissionOutcome.TokenRateExceeded, TimeSpan.FromSeconds(10)), tokens);
        Assert.Equal(2, account.RequestBucket.Available(T0));
        Assert.Equal(2_000, account.TokenBucket.Available(T0));

        account.RequestBucket.Adjust(2, T0);
        var requests = _policy.Decide(Request("r3", prompt: 1, output: 1), account, limits, true, T0 + TimeSpan.FromSeconds(5));
        Assert.Equal(new AdmissionDecision(AdmissionOutcome.RequestRateExceeded, TimeSpan.FromSeconds(15)), requests);
    }

    [Fact]
    public void TheLargestAdmissiblePromptIsBoundByTheBudgetTheQuotaAndTheTokensLeft()
    {
        var account = _parts.Account(limits: Wide with { TokensPerMinute = 10_000 });
        var request = Request("r", prompt: 100_000, output: 1_000);

        Assert.Equal(9_000, _policy.PromptCeiling(request, account, Wide with { TokensPerMinute = 10_000 }, true, T0));
        Assert.Equal(4_000, _policy.PromptCeiling(request, account, Wide with { MonthlyTokenQuota = 5_000 }, true, T0));
        Assert.Equal(3_000, _policy.PromptCeiling(request, account, Wide with { MonthlyBudgetUsd = 0.002m }, true, T0));
        Assert.Equal(500, _policy.PromptCeiling(request with { PromptTokens = 500 }, account, Wide, true, T0));
    }

    [Fact]
    public void NoPromptIsAdmissibleWhenAdmissionWouldRefuseWhateverThePrompt()
    {
        var account = _parts.Account();
        var request = Request("r", prompt: 1_000, output: 1_000);

        Assert.Equal(0, _policy.PromptCeiling(request with { Model = "no-such-model" }, account, Wide, true, T0));
        Assert.Equal(0, _policy.PromptCeiling(request, account, Wide, ledgerAcceptsWrites: false, T0));
        Assert.Equal(0, _policy.PromptCeiling(request, account, Wide with { MonthlyBudgetUsd = 0.0004m }, true, T0)); // the output alone costs more
        account.Reserve(_policy.Decide(Request("held"), account, Wide, true, T0).Reserve!, T0);
        Assert.Equal(0, _policy.PromptCeiling(request, account, Wide with { MaxConcurrent = 1 }, true, T0));
        account.RequestBucket.Adjust(999, T0);
        Assert.Equal(0, _policy.PromptCeiling(request, account, Wide, true, T0));
    }
}
