using Gateway.Grains.Routing.Scheduling;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>
/// The pacer of a full deployment's queue as pure code: hand-offs leave no closer than the pacing times the interval at
/// which the slots come free on average, after a burst of one interval (a millisecond at least); nothing is held before
/// the upstream's pace is known or with pacing off.
/// </summary>
public sealed class DispatchPacerTests
{
    private const long Second = 1_000_000;
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
        pacer.Held(8 * Second);

        Assert.Equal(10, HandOffsAt(pacer, 0, 4, 10));
    }

    [Fact]
    public void ABurstLeavesAnIntervalApartAfterTheFirstTwo()
    {
        // Four slots held 8 s each come free every 2 s on average: at 0.5, hand-offs no closer than 1 s.
        var pacer = new DispatchPacer(0.5, Frequency);
        pacer.Held(8 * Second);
        var now = 100 * Second;

        Assert.Equal(Second, pacer.Interval(4));
        Assert.Equal(2, HandOffsAt(pacer, now, 4, 10));
        Assert.False(pacer.MayHandOff(now, 4, out var notBefore));
        Assert.Equal(now + Second, notBefore);
        Assert.False(pacer.MayHandOff(notBefore - 1, 4, out _));
        Assert.Equal(1, HandOffsAt(pacer, notBefore, 4, 10));
        Assert.Equal(1, HandOffsAt(pacer, notBefore + Second, 4, 10));
    }

    [Fact]
    public void KeptBusyItHandsOffAtTheDeploymentsRateOverThePacing()
    {
        var pacer = new DispatchPacer(0.5, Frequency);
        pacer.Held(8 * Second);
        var now = 0L;
        var handedOff = 0;

        // Always someone waiting, a slot spare whenever the pacer allows: 100 s at one every second, after the first burst.
        while (now <= 100 * Second)
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

        Assert.Equal(102, handedOff);
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
        pacer.Held(8 * Second);
        pacer.Held(0);
        Assert.Equal(8 * Second, pacer.MeanHold);

        for (var i = 0; i < 200; i++)
        {
            pacer.Held(2 * Second);
        }

        Assert.InRange(pacer.MeanHold, 2 * Second, 2 * Second + Second / 100);
        Assert.InRange(pacer.Interval(2), Second, Second + Second / 200);
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
