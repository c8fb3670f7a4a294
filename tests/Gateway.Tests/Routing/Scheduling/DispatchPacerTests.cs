using Gateway.Grains.Routing.Scheduling;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>
/// The pacer of a full deployment's queue as pure code: hand-offs leave no closer than the pacing times the interval at
/// which the slots come free on average, after a burst of one interval (a millisecond at least), and never more than
/// 50 ms apart; nothing is held before the upstream's pace is known or with pacing off.
/// </summary>
public sealed class DispatchPacerTests
{
    private const long Millisecond = 1_000;
    private const long Second = 1_000 * Millisecond;
    private const long Frequency = Second;

    [Fact]
    public void BeforeAnyRequestHeldASlotEveryHandOffGoesAtOnce()
    {
        var pacer = new DispatchPacer(0.5, Frequency);

        Assert.Equal(10, HandOffsAt(pacer, 0, 4, 10));
    }

    [Fact]
    public void WithPacingOffEveryHandOffGoesAtOnce()
    {
        var pacer = new DispatchPacer(0, Frequency);
        pacer.Held(160 * Millisecond);

        Assert.Equal(10, HandOffsAt(pacer, 0, 4, 10));
    }

    [Fact]
    public void ABurstLeavesAnIntervalApartAfterTheFirstTwo()
    {
        // Four slots held 160 ms each come free every 40 ms on average: at 0.5, hand-offs no closer than 20 ms.
        var pacer = new DispatchPacer(0.5, Frequency);
        pacer.Held(160 * Millisecond);
        var now = 100 * Second;

        Assert.Equal(20 * Millisecond, pacer.Interval(4));
        Assert.Equal(2, HandOffsAt(pacer, now, 4, 10));
        Assert.False(pacer.MayHandOff(now, 4, out var notBefore));
        Assert.Equal(now + 20 * Millisecond, notBefore);
        Assert.False(pacer.MayHandOff(notBefore - 1, 4, out _));
        Assert.Equal(1, HandOffsAt(pacer, notBefore, 4, 10));
        Assert.Equal(1, HandOffsAt(pacer, notBefore + 20 * Millisecond, 4, 10));
    }

    [Fact]
    public void KeptBusyItHandsOffAtTheDeploymentsRateOverThePacing()
    {
        var pacer = new DispatchPacer(0.5, Frequency);
        pacer.Held(160 * Millisecond);
        var now = 0L;
        var handedOff = 0;

        // Always someone waiting, a slot spare whenever the pacer allows: one a second at 20 ms, after the first burst.
        while (now <= Second)
        {
            if (pacer.MayHandOff(now, 4, out var notBefore))
            {
                pacer.HandedOff(now, 4);
                handedOff++;
            }
            else
            {
                now = notBefore;
            }
        }

        Assert.Equal(52, handedOff);
    }

    [Fact]
    public void LongRequestsAreHandedOnAtMost50MillisecondsApart()
    {
        // Four slots held two minutes: 15 s apart at 0.5, which would keep a burst's last request 30 s beside a free slot.
        var pacer = new DispatchPacer(0.5, Frequency);
        pacer.Held(120 * Second);

        Assert.Equal(50 * Millisecond, pacer.Interval(4));
        Assert.Equal(DispatchPacer.MaxInterval, TimeSpan.FromMilliseconds(50));
        Assert.Equal(2, HandOffsAt(pacer, Second, 4, 10));
        Assert.Equal(1, HandOffsAt(pacer, Second + 50 * Millisecond, 4, 10));
    }

    [Fact]
    public void AFastDeploymentsBurstIsAMillisecondAtLeast()
    {
        // A hundred slots held 2 ms each: one comes free every 20 µs, paced at 10 µs; a timer late by a millisecond
        // (they fire on a millisecond grain) must not cap the rate, so a millisecond's worth may leave at once.
        var pacer = new DispatchPacer(0.5, Frequency);
        pacer.Held(2_000);

        Assert.Equal(10, pacer.Interval(100));
        Assert.Equal(101, HandOffsAt(pacer, Second, 100, 1_000));
    }

    [Fact]
    public void TheMeanHoldFollowsTheUpstreamsPace()
    {
        var pacer = new DispatchPacer(1, Frequency);
        pacer.Held(80 * Millisecond);
        pacer.Held(0);
        Assert.Equal(80 * Millisecond, pacer.MeanHold);

        for (var i = 0; i < 200; i++)
        {
            pacer.Held(20 * Millisecond);
        }

        Assert.InRange(pacer.MeanHold, 20 * Millisecond, 20 * Millisecond + 15);
        Assert.InRange(pacer.Interval(2), 10 * Millisecond, 10 * Millisecond + 8);
    }

    /// <summary>Hands off at <paramref name="now"/> while the pacer allows, up to <paramref name="most"/>; returns how many.</summary>
    private static int HandOffsAt(DispatchPacer pacer, long now, int slots, int most)
    {
        var count = 0;
        while (count < most && pacer.MayHandOff(now, slots, out _))
        {
            pacer.HandedOff(now, slots);
            count++;
        }

        return count;
    }
}
