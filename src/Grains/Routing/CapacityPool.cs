using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing.Scheduling;
using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Routing;

/// <summary>
/// One silo's share of one deployment's capacity: the silo's lease (<see cref="SiloLease"/>), drawn on by requests under a
/// tiny lock, and topped up, renewed and given back through the deployment's grain, one call at a time.
/// </summary>
/// <remarks>
/// <para>When the spare is short the first waiting request starts a call for what it lacks (and what all waiting
/// requests lack); the others wait for that call instead of making their own. A refusal is remembered for the shorter of
/// its retry-after and <see cref="DeploymentCapacityOptions.BusyRetryAfter"/>, and requests that do not fit meanwhile are
/// refused locally: a flood on a full deployment does not become a flood of grain calls.</para>
/// <para>While it holds anything the pool reports every <see cref="DeploymentCapacityOptions.RenewInterval"/> (a timer
/// on the gateway clock). It gives its spare back when it has been idle for
/// <see cref="DeploymentCapacityOptions.IdleReturn"/> or when the grain says another silo is short.</para>
/// <para>A request that finds the deployment full everywhere may wait (<see cref="WaitAsync"/>) in the pool's
/// <see cref="FairQueue"/>: capacity freed on this silo or granted by the grain goes to the waiting requests in weighted
/// fair order before anyone else, and while any wait, no new request takes the spare past them. Slots freed together
/// are handed on an interval apart (<see cref="DispatchPacer"/>), so that they do not stay freed together.</para>
/// <para>Across silos the queues act as one (the grain's side: <see cref="CapacityLedger"/>). Every call reports the
/// start tag of the queue's head and the queue's virtual time, and brings back the cluster's virtual time (the queue is
/// lifted to it) and the bar, the earliest head waiting on another silo. The pool serves its queue only while its head is
/// not past the bar, and gives its spare back at once when it is; while another silo waits, a new request does not take
/// the spare either, it joins the queue. While requests wait, the pool holds a long poll on the grain (one at a time,
/// beside its one lease call) that says when to call: capacity is due to its head, or an earlier head appeared
/// elsewhere. With no one waiting anywhere none of this runs: the fast path is as before.</para>
/// <para>Times are monotonic timestamps of the gateway clock: a wall clock stepping would stretch or cut leases.</para>
/// <para>In three files: this one takes and gives back capacity; <c>CapacityPool.QueueServing.cs</c> serves the fair
/// queue; <c>CapacityPool.GrainCalls.cs</c> talks with the deployment's grain. One lock guards all three.</para>
/// </remarks>
internal sealed partial class CapacityPool : IDisposable
{
    private readonly string _deploymentId;
    private readonly Func<LeaseRequest, Task<LeaseResponse>> _leaseAsync;
    private readonly Func<string, Task<bool>>? _waitForTurnAsync;
    private readonly DeploymentCapacityOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SiloLease _lease;
    private readonly FairQueue _queue;
    private readonly DispatchPacer _pacer;

    private int _waiting;
    private long _waitingTokens;
    private long _queuedTokens;
    private Task? _call;
    private ITimer? _timer;
    private ITimer? _queueTimer;
    private bool _disposed;

    // The cluster's side of the queue: the earliest head waiting on another silo (null: none), the cluster's virtual
    // time, the long poll running, whether a failed poll waits for the next call, whether a call is due now, whether
    // the last call reported a head (so that the queue emptying is reported too), and whether the grain just granted
    // (it decided with fresher reports than the bar: what it grants is served whatever the bar says).
    private long? _bar;
    private long _virtualTime;
    private Task? _turn;
    private bool _turnFailed;
    private bool _callDue;
    private bool _headReported;
    private bool _useGranted;

    public CapacityPool(
        string deploymentId, string silo, Func<LeaseRequest, Task<LeaseResponse>> lease, DeploymentCapacityOptions options, FairQueueOptions scheduling,
        TimeProvider time, ILogger logger, Func<string, Task<bool>>? waitForTurn = null)
    {
        _deploymentId = deploymentId;
        _leaseAsync = lease;
        _waitForTurnAsync = waitForTurn;
        _options = options;
        _time = time;
        _logger = logger;
        _lease = new SiloLease(silo, options, time);
        _queue = new FairQueue(scheduling, time);
        _pacer = new DispatchPacer(scheduling.Pacing, time.TimestampFrequency);
    }

    /// <summary>The deployment whose capacity this is.</summary>
    public string DeploymentId => _deploymentId;

    /// <summary>
    /// The fast path: a ticket from the spare, or false when the grain has to be asked (or refusal remembered), or when
    /// requests wait in the queue: they are served first.
    /// </summary>
    public bool TryAcquire(DeploymentLimits limits, long tokens, out CapacityTicket? ticket)
    {
        lock (_gate)
        {
            AdoptLimitsLocked(limits);
            ticket = null;
            return _queue.Count == 0 && _bar is null && TryTakeLocked(tokens, _time.GetTimestamp(), out ticket);
        }
    }

    /// <summary>The slow path: waits for the grain (one call for all waiting requests) until the request fits or is refused.</summary>
    public async ValueTask<CapacityTicket> AcquireAsync(long tokens, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _waiting++;
            _waitingTokens += tokens;
        }

        try
        {
            while (true)
            {
                Task call;
                lock (_gate)
                {
                    if (_queue.Count > 0 || _bar is not null)
                    {
                        // Others wait for this deployment already, here or on another silo: this request may join them,
                        // not pass them.
                        return CapacityTicket.Refused(CapacityRefusal.Concurrency, _options.BusyRetryAfter);
                    }

                    var now = _time.GetTimestamp();
                    if (TryTakeLocked(tokens, now, out var ticket))
                    {
                        return ticket!;
                    }

                    if (_lease.IsTooLarge(tokens))
                    {
                        return CapacityTicket.Refused(CapacityRefusal.TooLarge, TimeSpan.FromMinutes(1));
                    }

                    if (_lease.IsRefused(now, out var refusal, out var retryAfter))
                    {
                        return CapacityTicket.Refused(refusal, retryAfter);
                    }

                    call = _call ?? StartCallLocked(_lease.Need(tokens), _lease.Want(tokens, _waiting + _queue.Count, _waitingTokens + _queuedTokens), now);
                }

                await call.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            lock (_gate)
            {
                _waiting--;
                _waitingTokens -= tokens;
            }
        }
    }

    public DeploymentLoad GetLoad()
    {
        lock (_gate)
        {
            var load = _lease.Load(_time.GetTimestamp());
            return _queue.Count > 0 ? load with { LooksFull = true, Queued = _queue.Count } : load;
        }
    }

    /// <summary>
    /// Gives back what a finished (or cancelled) request held since <paramref name="takenAt"/>: its slot, and its tokens
    /// beyond <paramref name="actualTokens"/>; a request that waited in the queue settles its tenant's charge there at
    /// <paramref name="queueCost"/>. What is freed goes to the waiting requests first.
    /// </summary>
    internal void Release(CapacityHolds holds, long takenAt, long reservedTokens, long actualTokens, bool cancelled, FairQueueEntry? queued, long queueCost)
    {
        List<(Waiter, CapacityTicket)>? served = null;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _lease.Release(holds, reservedTokens, actualTokens, cancelled, now);
            if ((holds & CapacityHolds.Slot) != 0 && !cancelled)
            {
                // A cancelled attempt sent nothing: how long it held its slot says nothing of the upstream's pace.
                _pacer.Held(now - takenAt);
            }

            if (queued is not null)
            {
                _queue.Complete(queued, queueCost);
            }

            if (_queue.Count > 0)
            {
                served = ServeQueueLocked(now);
            }
        }

        Hand(served);
    }

    /// <summary>The earliest head waiting on another silo, as this pool last heard (for tests).</summary>
    internal long? QueueBar
    {
        get
        {
            lock (_gate)
            {
                return _bar;
            }
        }
    }

    public void Dispose()
    {
        List<(Waiter, CapacityTicket)>? refused = null;
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
            _queueTimer?.Dispose();
            _queueTimer = null;
            while (_queue.TakeExpired(long.MaxValue) is Waiter waiter)
            {
                (refused ??= []).Add((waiter, CapacityTicket.Refused(CapacityRefusal.Unavailable, _options.BusyRetryAfter)));
            }
        }

        Hand(refused);
    }

    private void AdoptLimitsLocked(DeploymentLimits limits)
    {
        if (!ReferenceEquals(limits, _lease.Limits) && limits != _lease.Limits)
        {
            ChangeLimitsLocked(limits);
        }
    }

    private bool TryTakeLocked(long tokens, long now, out CapacityTicket? ticket)
    {
        if (_lease.TryTake(tokens, now, out var holds, out var reservedTokens))
        {
            ticket = new CapacityTicket(this, holds, reservedTokens, now);
            return true;
        }

        ticket = null;
        return false;
    }

    private void ChangeLimitsLocked(DeploymentLimits limits)
    {
        _lease.Limits = limits;

        // The grain adopts limits from the calls it gets; a pool that holds capacity tells it now rather than at its
        // next renewal, so that a lowered limit is asked back from every silo at once.
        if (_lease.IsRegistered && _call is null)
        {
            StartCallLocked(CapacityAmount.None, CapacityAmount.None, _time.GetTimestamp());
        }
    }

    /// <summary>
    /// Starts what outlives the request that happens to start it (the shared call, the renew timer) without capturing
    /// that request's execution context, whose request context and trace would otherwise ride on calls made for all.
    /// </summary>
    private static T WithoutFlow<T>(Func<T> start)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return start();
        }

        using (ExecutionContext.SuppressFlow())
        {
            return start();
        }
    }
}
