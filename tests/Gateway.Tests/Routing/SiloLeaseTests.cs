using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Routing;

/// <summary>
/// A silo's side of a capacity lease on its own: what requests take and give back, what is reported to the grain, and
/// what its answers do to the spare. Time is a fake clock's timestamps, so every expectation is exact.
/// </summary>
public sealed class SiloLeaseTests
{
    private static readonly DeploymentCapacityOptions Options = new();
    private static readonly CapacityAmount None = CapacityAmount.None;

    private readonly FakeTimeProvider _clock = new(ClusterFixture.Start);
    private readonly SiloLease _lease;

    public SiloLeaseTests() =>
        _lease = new SiloLease("silo-a", Options, _clock) { Limits = new DeploymentLimits(RequestsPerMinute: 100, TokensPerMinute: 10_000, MaxConcurrent: 4) };

    private long Now => _clock.GetTimestamp();

    [Fact]
    public void AnUnlimitedDeploymentIsTakenWithoutAGrantAndOnlyCounted()
    {
        var lease = new SiloLease("silo-a", Options, _clock);

        Assert.True(lease.TryTake(500, Now, out var holds, out var reserved));

        Assert.Equal(CapacityHolds.None, holds);
        Assert.Equal(0, reserved);
        Assert.Equal(new DeploymentLoad(InFlight: 1, SpareSlots: 0, LooksFull: false), lease.Load(Now));
        Assert.False(lease.HoldsAnything);
    }

    [Fact]
    public void NothingIsTakenBeforeAGrantAndWhatIsLackingIsAskedFor()
    {
        Assert.False(_lease.TryTake(300, Now, out _, out _));

        Assert.Equal(new CapacityAmount(1, 1, 300), _lease.Need(300));
        Assert.Equal(new CapacityAmount(3, 3, 900), _lease.Want(300, waiting: 3, waitingTokens: 900));
    }

    [Fact]
    public void AGrantIsDrawnOnUntilHalfTheTimeToLiveAfterItsCallWasSent()
    {
        Grant(new CapacityAmount(2, 2, 1_000));

        _clock.Advance(Options.LeaseTimeToLive / 2 - TimeSpan.FromTicks(1));
        Assert.True(_lease.TryTake(100, Now, out var holds, out var reserved));
        Assert.Equal(CapacityHolds.Slot | CapacityHolds.Request | CapacityHolds.Tokens, holds);
        Assert.Equal(100, reserved);

        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(_lease.TryTake(100, Now, out _, out _));
    }

    [Fact]
    public void AFinishedRequestGivesBackItsSlotAndTheTokensBeyondItsUseButNotItsRequest()
    {
        Grant(new CapacityAmount(1, 1, 1_000));
        Assert.True(_lease.TryTake(400, Now, out var holds, out var reserved));

        _lease.Release(holds, reserved, actualTokens: 150, cancelled: false, Now);

        var report = _lease.NextCall(None, None);
        Assert.Equal(new CapacityAmount(1, 0, 850), report.Held);
        Assert.Equal((0, 1L, 150L), (report.InFlight, report.RequestsUsed, report.TokensUsed));
    }

    [Fact]
    public void ACancelledAttemptGivesEverythingBack()
    {
        Grant(new CapacityAmount(1, 1, 1_000));
        Assert.True(_lease.TryTake(400, Now, out var holds, out var reserved));

        _lease.Release(holds, reserved, actualTokens: 0, cancelled: true, Now);

        var report = _lease.NextCall(None, None);
        Assert.Equal(new CapacityAmount(1, 1, 1_000), report.Held);
        Assert.Equal((0, 0L, 0L), (report.InFlight, report.RequestsUsed, report.TokensUsed));
    }

    [Fact]
    public void TokensUsedBeyondTheReservationAreADebtTheNextGrantPaysFirst()
    {
        Grant(new CapacityAmount(2, 2, 400));
        Assert.True(_lease.TryTake(400, Now, out var holds, out var reserved));

        _lease.Release(holds, reserved, actualTokens: 500, cancelled: false, Now);

        Assert.Equal(new CapacityAmount(0, 0, 150), _lease.Need(50));
        Assert.Equal(-100, _lease.NextCall(None, None).Held.Tokens);
    }

    [Fact]
    public void ARefusalIsRememberedForTheShorterOfItsRetryAfterAndTheBusyWait()
    {
        var request = _lease.NextCall(_lease.Need(1), _lease.Need(1));
        var refused = new LeaseResponse(LeaseOutcome.Refused, None, CapacityRefusal.Tokens, TimeSpan.FromSeconds(5), false);

        Assert.False(_lease.Apply(request, refused, Now, Now));

        Assert.True(_lease.IsRefused(Now, out var refusal, out var retryAfter));
        Assert.Equal((CapacityRefusal.Tokens, TimeSpan.FromSeconds(5)), (refusal, retryAfter));
        _clock.Advance(Options.BusyRetryAfter);
        Assert.False(_lease.IsRefused(Now, out _, out _));
        Assert.True(_lease.Load(Now).LooksFull);
    }

    [Fact]
    public void NoAnswerRefusesLocallyForTheBusyWait()
    {
        var request = _lease.NextCall(_lease.Need(1), _lease.Need(1));

        Assert.False(_lease.Apply(request, null, Now, Now));

        Assert.True(_lease.IsRefused(Now, out var refusal, out var retryAfter));
        Assert.Equal((CapacityRefusal.Unavailable, Options.BusyRetryAfter), (refusal, retryAfter));
    }

    [Fact]
    public void AnExpiredLeaseDropsItsSpareAndANewLeaseClaimsWhatIsRunning()
    {
        Grant(new CapacityAmount(2, 2, 1_000));
        Assert.True(_lease.TryTake(100, Now, out _, out _));
        var renewal = _lease.NextCall(None, None);

        Assert.True(_lease.Apply(renewal, new LeaseResponse(LeaseOutcome.Expired, None, CapacityRefusal.None, TimeSpan.Zero, false), Now, Now));

        Assert.False(_lease.TryTake(100, Now, out _, out _));
        var next = _lease.NextCall(None, None);
        Assert.NotEqual(renewal.LeaseId, next.LeaseId);
        Assert.StartsWith("silo-a/", next.LeaseId, StringComparison.Ordinal);
        Assert.Equal(1, next.Sequence);
        Assert.Equal(new CapacityAmount(1, 0, 100), next.Held);
        Assert.Equal((1, 0L, 0L), (next.InFlight, next.RequestsUsed, next.TokensUsed));
    }

    [Fact]
    public void SpareAskedBackIsRemovedBeforeTheCallThatReportsIt()
    {
        Grant(new CapacityAmount(3, 3, 1_000));
        var renewal = _lease.NextCall(None, None);

        Assert.True(_lease.Apply(renewal, new LeaseResponse(LeaseOutcome.Granted, None, CapacityRefusal.None, TimeSpan.Zero, GiveBack: true), Now, Now));
        _lease.GiveBackIfAsked();

        Assert.False(_lease.TryTake(1, Now, out _, out _));
        Assert.Equal(None, _lease.NextCall(None, None).Held);
    }

    [Fact]
    public void IdleSpareGoesBackAtTheRenewalAfterWhichTheLeaseHoldsNothing()
    {
        Grant(new CapacityAmount(2, 2, 1_000));
        Assert.True(_lease.TryTake(100, Now, out var holds, out var reserved));
        _lease.Release(holds, reserved, actualTokens: 0, cancelled: true, Now);

        _clock.Advance(Options.IdleReturn - TimeSpan.FromTicks(1));
        _lease.PrepareRenewal(Now);
        Assert.True(_lease.HoldsAnything);

        _clock.Advance(TimeSpan.FromTicks(1));
        _lease.PrepareRenewal(Now);
        Assert.False(_lease.HoldsAnything);
        Assert.True(_lease.IsRegistered);
        _lease.Forget();
        Assert.False(_lease.IsRegistered);
    }

    private void Grant(CapacityAmount amount)
    {
        var request = _lease.NextCall(amount, amount);
        Assert.False(_lease.Apply(request, new LeaseResponse(LeaseOutcome.Granted, amount, CapacityRefusal.None, TimeSpan.Zero, false), Now, Now));
    }
}
