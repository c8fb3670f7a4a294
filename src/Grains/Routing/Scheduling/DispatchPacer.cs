namespace Gateway.Grains.Routing.Scheduling;

/// <summary>
/// Spreads the hand-offs of a full deployment's queue: requests leave it no closer together than
/// <see cref="FairQueueOptions.Pacing"/> times the interval at which the deployment's slots come free on average (the
/// mean time a request holds a slot over the slots held), with a burst of one interval or a millisecond, whichever is
/// longer, and never more than <see cref="MaxInterval"/> apart. Pure bookkeeping: timestamps are passed in, nothing is
/// locked (the pool's lock guards every call).
/// </summary>
/// <remarks>
/// <para>Why. A queue that refills every freed slot at once starts each request the moment another ends, so the slots'
/// phases never change: requests dispatched together end together and are replaced together. When an upstream answers in
/// nearly constant time, any pause of the gateway (a collection, a busy thread) lets neighbouring groups catch up and
/// merge, and nothing splits them again: in <c>bench/run.sh --fairness</c> the 32 slots ended up freed within about 20 ms
/// of every 51 ms cycle, and a request arriving in the 30 ms between waited for the next burst however early its turn
/// was. Handed off an interval apart, a burst's requests end an interval apart the next time round, and the freed slots
/// spread over the cycle.</para>
/// <para>What it costs. The rate allowed is the deployment's own rate divided by the pacing (twice it at 0.5),
/// so only bursts are held, never a steady flow; a slot freed in a burst of <c>k</c> waits at most <c>k − 1</c>
/// intervals, and once the slots are spread nothing waits. The one-millisecond floor on the burst keeps a late timer
/// (they fire on a millisecond grain) from capping a fast deployment's rate. The ceiling on the interval bounds what a
/// deployment of long requests pays: four slots held two minutes would otherwise be handed on 15 s apart, and the last of
/// a burst (all four failing at once, say) would sit out 30 s beside a free slot; at 50 ms it waits 100 ms. Bursts of
/// requests that long are spread by their own variance (an LLM's answers differ in length) more than by any pacing.</para>
/// </remarks>
internal sealed class DispatchPacer(double pacing, long timestampFrequency)
{
    // The mean hold moves by a sixteenth of each new hold: a few dozen requests reflect a change of the upstream's pace.
    private const int HoldSmoothing = 16;

    /// <summary>The longest interval between two hand-offs, whatever the deployment's pace.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(50);

    private readonly long _minimumBurst = timestampFrequency / 1000;
    private readonly long _maxInterval = timestampFrequency * (long)MaxInterval.TotalMilliseconds / 1000;
    private long _meanHold;
    private long _nextDue;

    /// <summary>The mean time a request held a slot (timestamp units, 0 before the first).</summary>
    public long MeanHold => _meanHold;

    /// <summary>A request that held a slot for <paramref name="duration"/> (timestamp units) gave it back.</summary>
    public void Held(long duration)
    {
        if (duration > 0)
        {
            _meanHold = _meanHold == 0 ? duration : _meanHold + (duration - _meanHold) / HoldSmoothing;
        }
    }

    /// <summary>The least time between two hand-offs with <paramref name="slots"/> held (0: none, hand off at once).</summary>
    public long Interval(int slots) =>
        pacing <= 0 || slots <= 0 || _meanHold == 0 ? 0 : Math.Min((long)(_meanHold * pacing / slots), _maxInterval);

    /// <summary>
    /// Whether a request may be handed a slot at <paramref name="now"/>; when not, <paramref name="notBefore"/> is when
    /// one may. Does not count the hand-off: call <see cref="HandedOff"/> when it happens.
    /// </summary>
    public bool MayHandOff(long now, int slots, out long notBefore)
    {
        var interval = Interval(slots);
        notBefore = interval == 0 ? now : _nextDue - Math.Max(interval, _minimumBurst);
        return notBefore <= now;
    }

    /// <summary>A request was handed a slot at <paramref name="now"/>.</summary>
    public void HandedOff(long now, int slots)
    {
        var interval = Interval(slots);
        if (interval > 0)
        {
            _nextDue = Math.Max(_nextDue, now) + interval;
        }
    }
}
