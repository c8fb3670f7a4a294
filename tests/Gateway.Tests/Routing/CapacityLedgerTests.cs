using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing;

/// <summary>
/// The capacity grain's decisions on their own: grants, refusals with their retry-after, give-backs, expiry, stale and
/// lost calls, limit changes. Time is passed in, so every expectation is exact.
/// </summary>
public sealed class CapacityLedgerTests
{
    private static readonly DateTimeOffset T0 = ClusterFixture.Start;

    private static readonly DeploymentCapacityOptions Options = new();

    private readonly CapacityLedger _ledger = new(Options);

    [Fact]
    public void GrantsTheNeedPlusAShareOfWhatStaysFree()
    {
        var limits = new DeploymentLimits(null, null, 10);

        // Alone: 1 needed, then half of the 9 left.
        var a = Call(Lease("a", 1, limits, need: Slots(1)));
        Assert.Equal(LeaseOutcome.Granted, a.Outcome);
        Assert.Equal(Slots(5), a.Granted);

        // Two leases, 5 free: 1 needed, then a quarter of the 4 left.
        var b = Call(Lease("b", 1, limits, need: Slots(1)));
        Assert.Equal(Slots(2), b.Granted);

        // 3 free, wanted 3: all of it, nothing left to share.
        var c = Call(Lease("a", 2, limits, held: Slots(5), need: Slots(1), want: Slots(3)));
        Assert.Equal(Slots(3), c.Granted);
        Assert.Equal(10, Report().SlotsLeased);
    }

    [Fact]
    public void GrantsExactlyTheNeedWhenCapacityIsScarce()
    {
        var limits = new DeploymentLimits(null, null, 4);
        Assert.Equal(Slots(2), Call(Lease("a", 1, limits, need: Slots(1))).Granted);
        Assert.Equal(Slots(1), Call(Lease("b", 1, limits, need: Slots(1))).Granted);

        // One slot free among three leases: the need, and no share on top.
        Assert.Equal(Slots(1), Call(Lease("c", 1, limits, need: Slots(1))).Granted);
    }

    [Fact]
    public void RefusesAConcurrencyNeedBeyondTheLimitWithTheShortFixedWait()
    {
        var limits = new DeploymentLimits(null, null, 2);
        Assert.Equal(Slots(1), Call(Lease("a", 1, limits, need: Slots(1))).Granted);
        Assert.Equal(Slots(1), Call(Lease("b", 1, limits, need: Slots(1))).Granted);

        var refused = Call(Lease("c", 1, limits, need: Slots(1)));

        Assert.Equal(LeaseOutcome.Refused, refused.Outcome);
        Assert.Equal(CapacityRefusal.Concurrency, refused.Refusal);
        Assert.Equal(Options.BusyRetryAfter, refused.RetryAfter);
        Assert.Equal(CapacityAmount.None, refused.Granted);
        Assert.Equal(2, Report().SlotsLeased);
    }

    [Fact]
    public void NeverLeasesMoreSlotsThanTheLimitWhateverTheOrderOfCalls()
    {
        var limits = new DeploymentLimits(null, null, 7);
        var held = new int[3];
        var sequence = new long[3];
        var random = new Random(12345);
        for (var step = 0; step < 2_000; step++)
        {
            var i = random.Next(3);
            held[i] -= random.Next(held[i] + 1); // some given back
            var need = random.Next(2);
            var response = Call(Lease($"pool{i}", ++sequence[i], limits, held: Slots(held[i]), need: Slots(need), want: Slots(need + random.Next(4))));
            held[i] += response.Granted.Slots;

            Assert.True(held.Sum() <= 7, $"Step {step}: the leases hold {held.Sum()} slots of 7.");
            Assert.Equal(held.Sum(), Report().SlotsLeased);
        }
    }

    [Fact]
    public void RefusesAnEmptyRequestBucketWithItsExactRetryAfter()
    {
        var limits = new DeploymentLimits(60, null, null);
        var granted = Call(Lease("a", 1, limits, need: Requests(1), want: Requests(60)));
        Assert.Equal(Requests(60), granted.Granted);

        // All 60 used and reported; one request per second comes back.
        Call(Lease("a", 2, limits, requestsUsed: 60));
        var refused = Call(Lease("b", 1, limits, need: Requests(1)));

        Assert.Equal(LeaseOutcome.Refused, refused.Outcome);
        Assert.Equal(CapacityRefusal.Requests, refused.Refusal);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.RetryAfter);
        Assert.Equal(Requests(1), Call(Lease("b", 2, limits, need: Requests(1)), T0.AddSeconds(1)).Granted);
    }

    [Fact]
    public void PermitsLeasedAndUnusedStillCountAsInTheBucketSoRefillCannotAddToThem()
    {
        // One silo holds all 30 permits of the minute as spare, renewing its lease. Minutes later the bucket has not
        // refilled beyond its capacity: the 30 in the silo are still "in" it, so another silo gets nothing, and what
        // starts in any minute (the spare included) never exceeds one bucket's worth.
        var limits = new DeploymentLimits(30, null, null);
        Assert.Equal(Requests(30), Call(Lease("a", 1, limits, need: Requests(1), want: Requests(30))).Granted);
        var sequence = 1L;
        var later = T0;
        while (later < T0.AddMinutes(5))
        {
            later += Options.RenewInterval;
            Call(Lease("a", ++sequence, limits, held: Requests(30)), later);
        }

        var refused = Call(Lease("b", 1, limits, need: Requests(1)), later);

        Assert.Equal(LeaseOutcome.Refused, refused.Outcome);
        Assert.Equal(CapacityRefusal.Requests, refused.Refusal);
        Assert.Equal(Options.BusyRetryAfter, refused.RetryAfter);
        Assert.True(Call(Lease("a", ++sequence, limits, held: Requests(30)), later).GiveBack, "The silo holding the spare must be asked to give it back.");
    }

    [Fact]
    public void ReportedUsageLeavesWhatIsFreeUnchangedAndSpareGivenBackFreesIt()
    {
        var limits = new DeploymentLimits(null, 1_000, null);
        Assert.Equal(Tokens(700), Call(Lease("a", 1, limits, need: Tokens(400))).Granted);
        Assert.Equal(Tokens(150), Call(Lease("b", 1, limits, need: Tokens(100))).Granted);

        // a used 300 of its 700 (400 left in it): the bucket is down to 700 and 550 are leased; 150 stay free.
        Call(Lease("a", 2, limits, held: Tokens(400), tokensUsed: 300));
        var report = Report();
        Assert.Equal(700, report.TokensAvailable);
        Assert.Equal(550, report.TokensLeased);
        Assert.Equal(LeaseOutcome.Refused, Call(Lease("c", 1, limits, need: Tokens(151))).Outcome);

        // a gives its 400 back: 550 free, so a need of 550 is met and 551 is not.
        Call(Lease("a", 3, limits, tokensUsed: 300));
        Assert.Equal(LeaseOutcome.Refused, Call(Lease("c", 2, limits, need: Tokens(551))).Outcome);
        Assert.Equal(Tokens(550), Call(Lease("c", 3, limits, need: Tokens(550))).Granted);
    }

    [Fact]
    public void RefusesARequestLargerThanTheWholeTokenLimitAsTooLarge()
    {
        var refused = Call(Lease("a", 1, new DeploymentLimits(null, 1_000, null), need: Tokens(1_001)));

        Assert.Equal(LeaseOutcome.Refused, refused.Outcome);
        Assert.Equal(CapacityRefusal.TooLarge, refused.Refusal);
        Assert.True(refused.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public void AsksLeasesHoldingSpareToGiveItBackWhenAnotherIsRefused()
    {
        var limits = new DeploymentLimits(null, null, 4);
        Assert.Equal(Slots(2), Call(Lease("a", 1, limits, need: Slots(1))).Granted);
        Assert.Equal(Slots(1), Call(Lease("b", 1, limits, need: Slots(1))).Granted);
        Assert.Equal(Slots(1), Call(Lease("c", 1, limits, need: Slots(1))).Granted);

        // a runs 1 of its 2 (one spare); b runs its only one.
        Call(Lease("a", 2, limits, held: Slots(2), inFlight: 1));
        Call(Lease("b", 2, limits, held: Slots(1), inFlight: 1));
        Assert.Equal(LeaseOutcome.Refused, Call(Lease("c", 2, limits, held: Slots(1), inFlight: 1, need: Slots(1))).Outcome);

        Assert.True(Call(Lease("a", 3, limits, held: Slots(2), inFlight: 1)).GiveBack, "a holds a spare slot and must be asked for it.");
        Assert.False(Call(Lease("b", 3, limits, held: Slots(1), inFlight: 1)).GiveBack, "b uses all it holds.");
        Assert.False(Call(Lease("a", 4, limits, held: Slots(2), inFlight: 1)).GiveBack, "The request is delivered once.");
    }

    [Fact]
    public void ExpiresASilentLeaseAfterTheTimeToLiveFreeingItsSlotsAndCountingItsTokensUsed()
    {
        var limits = new DeploymentLimits(null, 600, 3);
        Assert.Equal(new CapacityAmount(3, 0, 600), Call(Lease("dead", 1, limits, need: new CapacityAmount(1, 0, 100), want: new CapacityAmount(3, 0, 600))).Granted);

        var atTtl = T0 + Options.LeaseTimeToLive;
        var stillHeld = Call(Lease("live", 1, limits, need: new CapacityAmount(1, 0, 0)), atTtl);
        Assert.Equal(CapacityRefusal.Concurrency, stillHeld.Refusal);

        var justAfter = atTtl + TimeSpan.FromTicks(1);
        var granted = _ledger.Lease(Lease("live", 2, limits, need: new CapacityAmount(1, 0, 0)), justAfter, out var expired);
        Assert.Equal(1, expired);
        Assert.Equal(LeaseOutcome.Granted, granted.Outcome);

        // The dead lease's 600 tokens count as used: the bucket refills them at 10 per second from the moment of expiry.
        var report = _ledger.Report("d", justAfter);
        Assert.Equal(0, report.TokensAvailable);
        Assert.Single(report.Leases);
        Assert.Equal(60, _ledger.Report("d", justAfter.AddSeconds(6)).TokensAvailable);
    }

    [Fact]
    public void AnUnknownLeaseAfterItsFirstCallIsToldItExpired()
    {
        var response = Call(Lease("forgotten", 7, new DeploymentLimits(null, null, 5), held: Slots(3), need: Slots(1)));

        Assert.Equal(LeaseOutcome.Expired, response.Outcome);
        Assert.Equal(0, Report().SlotsLeased);
    }

    [Fact]
    public void IgnoresACallOlderThanTheLastOneApplied()
    {
        var limits = new DeploymentLimits(null, null, 5);
        Assert.Equal(Slots(3), Call(Lease("a", 1, limits, need: Slots(1))).Granted);
        Call(Lease("a", 3, limits, held: Slots(1)));

        var late = Call(Lease("a", 2, new DeploymentLimits(null, null, 50), held: Slots(3), need: Slots(1)));

        Assert.Equal(LeaseOutcome.Stale, late.Outcome);
        Assert.Equal(1, Report().SlotsLeased);
        Assert.Equal(limits, Report().Limits);
    }

    [Fact]
    public void AGrantWhoseAnswerWasLostDisappearsAtTheNextReport()
    {
        var limits = new DeploymentLimits(null, null, 4);
        Assert.Equal(Slots(2), Call(Lease("a", 1, limits, need: Slots(1))).Granted);
        Assert.Equal(2, Report().SlotsLeased);

        // The answer never reached the pool: its next call reports holding nothing.
        Call(Lease("a", 2, limits));

        Assert.Equal(0, Report().SlotsLeased);
    }

    [Fact]
    public void AdoptsChangedLimitsAndAsksEveryLeaseBackWhenOverThem()
    {
        var wide = new DeploymentLimits(60, null, 10);
        Assert.Equal(new CapacityAmount(5, 30, 0), Call(Lease("a", 1, wide, need: new CapacityAmount(1, 1, 0))).Granted);

        var narrow = new DeploymentLimits(30, null, 4);
        var response = Call(Lease("b", 1, narrow));

        Assert.Equal(narrow, Report().Limits);
        Assert.True(Call(Lease("a", 2, narrow, held: new CapacityAmount(5, 30, 0))).GiveBack, "a holds 5 slots of a limit of 4.");
        Assert.Equal(30, Report().RequestsAvailable); // the bucket kept its fraction: full
        Assert.Equal(LeaseOutcome.Granted, response.Outcome);
    }

    [Fact]
    public void FreedCapacityGoesToTheEarliestQueueHeadAcrossSilos()
    {
        var limits = new DeploymentLimits(null, null, 2);
        Assert.Equal(Slots(2), Call(Lease("a", 1, limits, need: Slots(2))).Granted);

        // Both silos' queues wait: b's head (start tag 500) comes before a's (900), whatever the order of their calls.
        var b = Call(Lease("b", 1, limits, need: Slots(1)) with { QueueHead = 500, VirtualTime = 400 });
        var a = Call(Lease("a", 2, limits, held: Slots(1), inFlight: 1, need: Slots(1)) with { QueueHead = 900, VirtualTime = 300 });

        // a gave one slot back, but b's head claims it: a is refused, told b's head as its bar, and b is due to call.
        Assert.Equal((LeaseOutcome.Refused, CapacityRefusal.Concurrency), (a.Outcome, a.Refusal));
        Assert.Equal((400L, (long?)500), (a.VirtualTime, a.QueueBar));
        Assert.Null(b.QueueBar);
        Assert.Equal(new[] { "b" }, Due());

        // b gets exactly its head's need, no spare on top while a waits; its bar is a's head.
        var granted = Call(Lease("b", 2, limits, need: Slots(1), want: Slots(5)) with { QueueHead = 500 });
        Assert.Equal((Slots(1), (long?)900), (granted.Granted, granted.QueueBar));
        Assert.Equal(2, Report().SlotsLeased);
    }

    [Fact]
    public void ARequestWithNoQueueDoesNotPassHeadsWaitingOnOtherSilos()
    {
        var limits = new DeploymentLimits(null, null, 2);
        Assert.Equal(Slots(1), Call(Lease("a", 1, limits, need: Slots(1), want: Slots(1))).Granted);
        Assert.Equal(LeaseOutcome.Refused, Call(Lease("b", 1, limits, held: CapacityAmount.None, need: Slots(2)) with { QueueHead = 0 }).Outcome);

        // One slot is free but b's head claims two (what it lacks): c, which has no queue, does not take it.
        var c = Call(Lease("c", 1, limits, need: Slots(1)));
        Assert.Equal((LeaseOutcome.Refused, (long?)0), (c.Outcome, c.QueueBar));
    }

    [Fact]
    public void AQueueThatHearsOfAnEarlierHeadElsewhereIsDueToCall()
    {
        var limits = new DeploymentLimits(null, null, 1);
        Assert.Equal(Slots(1), Call(Lease("a", 1, limits, need: Slots(1))).Granted);
        var a = Call(Lease("a", 2, limits, held: Slots(1), inFlight: 1, need: Slots(1)) with { QueueHead = 700 });
        Assert.Null(a.QueueBar);
        Assert.Empty(Due());

        // b starts waiting with an earlier head: a serves its own queue by a bar it no longer has, so it must call.
        Call(Lease("b", 1, limits, need: Slots(1)) with { QueueHead = 100 });
        Assert.Equal(new[] { "a" }, Due());
        Assert.True(_ledger.IsDue("a", T0));

        // Told, it is not due again; when b's queue empties, nothing is set aside for it any more.
        Assert.Equal((long?)100, Call(Lease("a", 3, limits, held: Slots(1), inFlight: 1, need: Slots(1)) with { QueueHead = 700 }).QueueBar);
        Assert.Empty(Due());
        Call(Lease("b", 2, limits));
        Assert.Null(Call(Lease("a", 4, limits, held: Slots(1), inFlight: 1, need: Slots(1)) with { QueueHead = 700 }).QueueBar);
    }

    [Fact]
    public void AHeadBehindTheClustersVirtualTimeIsTakenAtIt()
    {
        var limits = new DeploymentLimits(null, null, 1);
        Assert.Equal(Slots(1), Call(Lease("a", 1, limits, need: Slots(1))).Granted);
        Call(Lease("a", 2, limits, held: Slots(1), inFlight: 1, need: Slots(1)) with { QueueHead = 5_000, VirtualTime = 4_000 });

        // b's tenant began to wait at zero on a silo that had not heard the cluster was at 4,000: it is not owed the gap.
        var b = Call(Lease("b", 1, limits, need: Slots(1)) with { QueueHead = 0, VirtualTime = 0 });
        Assert.Equal(4_000, b.VirtualTime);
        Assert.Equal((long?)4_000, Call(Lease("a", 3, limits, held: Slots(1), inFlight: 1, need: Slots(1)) with { QueueHead = 5_000 }).QueueBar);
    }

    private List<string> Due()
    {
        var due = new List<string>();
        _ledger.Due(due, T0);
        return due;
    }

    private LeaseResponse Call(LeaseRequest request, DateTimeOffset? at = null) => _ledger.Lease(request, at ?? T0, out _);

    private DeploymentCapacityReport Report() => _ledger.Report("d", T0);

    private static LeaseRequest Lease(
        string id,
        long sequence,
        DeploymentLimits limits,
        CapacityAmount? held = null,
        int inFlight = 0,
        long requestsUsed = 0,
        long tokensUsed = 0,
        CapacityAmount? need = null,
        CapacityAmount? want = null) =>
        new(id, "silo-" + id, sequence, limits, held ?? CapacityAmount.None, inFlight, requestsUsed, tokensUsed, need ?? CapacityAmount.None, want ?? need ?? CapacityAmount.None);

    private static CapacityAmount Slots(int n) => new(n, 0, 0);

    private static CapacityAmount Requests(long n) => new(0, n, 0);

    private static CapacityAmount Tokens(long n) => new(0, 0, n);
}
