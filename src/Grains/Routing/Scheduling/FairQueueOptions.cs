namespace Gateway.Grains.Routing.Scheduling;

/// <summary>
/// How requests wait for a deployment that has no free capacity (configuration <c>Gateway:Scheduling</c>): the bounds of
/// its weighted fair queue. A request that fits the free capacity never waits and never meets these.
/// </summary>
public sealed class FairQueueOptions
{
    public const string Section = "Gateway:Scheduling";

    /// <summary>
    /// How long a request may wait in a deployment's queue before it is refused (429 <c>capacity_exceeded</c>). Bounded so
    /// that a client's own timeout is not what ends the wait, and so that a saturated deployment's queue drains.
    /// </summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Requests one tenant may have waiting for one deployment; beyond it the tenant's next request is refused at once
    /// (429 <c>capacity_exceeded</c>): a flood queues behind itself only up to here.
    /// </summary>
    /// <remarks>
    /// A hundred: more is rarely served within <see cref="QueueTimeout"/> at a model's pace (32 slots of 10 s requests
    /// serve 96 in 30 s), and every waiting request holds its connection, its grain call and its state, which the garbage
    /// collector copies when they outlive a collection. With a flood parked at a thousand, the gateway's collections
    /// paused it 15 to 26 ms each (nothing released, nothing dispatched meanwhile) against 4 to 10 ms at a hundred
    /// (<c>bench/run.sh --fairness</c>), and every other tenant's latency carries those pauses.
    /// </remarks>
    public int MaxQueuedPerTenant { get; set; } = 100;

    /// <summary>
    /// Requests all tenants together may have waiting for one deployment; beyond it the deployment is saturated and a new
    /// request is refused at once (503). Bounds the memory a queue holds whatever the number of tenants.
    /// </summary>
    public int MaxQueuedPerDeployment { get; set; } = 10_000;

    /// <summary>
    /// How closely requests leave a full deployment's queue, as a fraction of the interval at which its slots come free
    /// on average (the mean time a request holds a slot over the slots): 0.5 by default, so they may leave at up to twice
    /// the deployment's own rate; 0 hands every freed slot on at once. Against an upstream that answers in nearly
    /// constant time, slots handed on at once stay freed in bursts, and a request arriving between two bursts waits for
    /// the next however early its turn; paced, the bursts spread over the cycle. See <c>DispatchPacer</c>.
    /// </summary>
    public double Pacing { get; set; } = 0.5;

    /// <summary>
    /// The order waiting requests leave in: <see cref="SchedulingPolicy.Fair"/> (weighted fair queuing, the default) or
    /// <see cref="SchedulingPolicy.Fifo"/> (arrival order). The bounds and the timeout hold either way.
    /// </summary>
    public SchedulingPolicy Policy { get; set; } = SchedulingPolicy.Fair;
}
