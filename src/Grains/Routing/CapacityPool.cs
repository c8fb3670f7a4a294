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
/// fair order before anyone else, and while any wait, no new request takes the spare past them.</para>
/// <para>Across silos the queues act as one (the grain's side: <see cref="CapacityLedger"/>). Every call reports the
/// start tag of the queue's head and the queue's virtual time, and brings back the cluster's virtual time (the queue is
/// lifted to it) and the bar, the earliest head waiting on another silo. The pool serves its queue only while its head is
/// not past the bar, and gives its spare back at once when it is; while another silo waits, a new request does not take
/// the spare either, it joins the queue. While requests wait, the pool holds a long poll on the grain (one at a time,
/// beside its one lease call) that says when to call: capacity is due to its head, or an earlier head appeared
/// elsewhere. With no one waiting anywhere none of this runs: the fast path is as before.</para>
/// <para>Times are monotonic timestamps of the gateway clock: a wall clock stepping would stretch or cut leases.</para>
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
    }

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

    /// <summary>
    /// Waits in the deployment's fair queue until the request fits (a ticket that says how long it waited), it times out,
    /// or a bound refuses it at once (a ticket not acquired, saying which). Throws when <paramref name="cancellationToken"/>
    /// fires while it waits, having left the queue.
    /// </summary>
    public async ValueTask<CapacityTicket> WaitAsync(DeploymentLimits limits, string tenant, int weight, long tokens, CancellationToken cancellationToken)
    {
        Waiter waiter;
        List<(Waiter, CapacityTicket)>? served;
        lock (_gate)
        {
            AdoptLimitsLocked(limits);
            var now = _time.GetTimestamp();
            if (_queue.Count == 0 && _bar is null && TryTakeLocked(tokens, now, out var ticket))
            {
                return ticket!;
            }

            if (_lease.IsTooLarge(tokens))
            {
                return CapacityTicket.Refused(CapacityRefusal.TooLarge, TimeSpan.FromMinutes(1));
            }

            waiter = new Waiter(this, tenant, weight, tokens);
            _queue.AdvanceTo(_virtualTime);
            var result = _queue.Enqueue(waiter, now);
            if (!result.IsQueued)
            {
                var refusal = result.Outcome == FairQueueOutcome.TenantFull ? CapacityRefusal.TenantQueueFull : CapacityRefusal.QueueFull;
                return CapacityTicket.Refused(refusal, result.RetryAfter);
            }

            _queuedTokens += tokens;
            served = ServeQueueLocked(now);
        }

        Hand(served);
        using (cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Cancel(token), waiter))
        {
            return await waiter.Completion.Task;
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
    /// Gives back what a finished (or cancelled) request held: its slot, and its tokens beyond <paramref name="actualTokens"/>;
    /// a request that waited in the queue settles its tenant's charge there at <paramref name="queueCost"/>. What is freed
    /// goes to the waiting requests first.
    /// </summary>
    internal void Release(CapacityHolds holds, long reservedTokens, long actualTokens, bool cancelled, FairQueueEntry? queued, long queueCost)
    {
        List<(Waiter, CapacityTicket)>? served = null;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _lease.Release(holds, reservedTokens, actualTokens, cancelled, now);
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

    /// <summary>Completes when no call to the grain is running (tests drive the timer, then wait for what it started).</summary>
    internal async Task WhenCallsDoneAsync()
    {
        while (true)
        {
            Task? call;
            lock (_gate)
            {
                call = _call;
            }

            if (call is null)
            {
                return;
            }

            await call;
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

    /// <summary>
    /// Times out the waiting requests whose deadline has come, gives the spare to the others in fair order while the next
    /// fits, and when it does not, asks the grain for what it lacks (unless a call runs or a refusal is remembered, in which
    /// case the queue's timer comes back when it ends). Returns the waiters to answer once the lock is released.
    /// </summary>
    private List<(Waiter, CapacityTicket)>? ServeQueueLocked(long now)
    {
        List<(Waiter, CapacityTicket)>? served = null;
        while (_queue.TakeExpired(now) is Waiter expired)
        {
            _queuedTokens -= expired.Cost;
            (served ??= []).Add((expired, CapacityTicket.Refused(CapacityRefusal.QueueTimeout, _options.BusyRetryAfter)));
        }

        var useGranted = _useGranted;
        _useGranted = false;
        while (_queue.Peek() is Waiter next && (useGranted || !IsPastBarLocked()) && _lease.TryTake(next.Cost, now, out var holds, out var reservedTokens))
        {
            _queue.Take();
            _queuedTokens -= next.Cost;
            next.Waited = _time.GetElapsedTime(next.EnqueuedAt, now);
            (served ??= []).Add((next, new CapacityTicket(this, holds, reservedTokens, next)));
        }

        if (_queue.Count > 0 && IsPastBarLocked() && _lease.GiveBackSpare())
        {
            // Another silo's head comes first: what is spare here is its, through the grain.
            _callDue = true;
        }

        if (_queue.Count == 0 && _headReported && _call is null && !_disposed)
        {
            // The grain still sets capacity aside for this queue's head: tell it there is none.
            StartCallLocked(CapacityAmount.None, CapacityAmount.None, now);
        }

        if (_queue.Peek() is { } head && !_disposed)
        {
            if (_call is null && (_callDue || now >= _lease.RefusedUntil))
            {
                StartCallLocked(_lease.Need(head.Cost), _lease.Want(head.Cost, _waiting + _queue.Count, _waitingTokens + _queuedTokens), now);
            }

            AwaitTurnLocked();

            var due = _queue.NextDeadline!.Value;
            if (_call is null && _lease.RefusedUntil > now && _lease.RefusedUntil < due)
            {
                due = _lease.RefusedUntil;
            }

            _queueTimer ??= WithoutFlow(() => _time.CreateTimer(static state => ((CapacityPool)state!).OnQueueTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
            var wait = _time.GetElapsedTime(now, due);
            _queueTimer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        return served;
    }

    /// <summary>Whether the queue's head comes after the earliest head waiting on another silo.</summary>
    private bool IsPastBarLocked() => _bar is { } bar && _queue.HeadStart > bar;

    /// <summary>
    /// While requests wait, keeps one long poll on the grain running (not beside a call, whose answer may change what it
    /// waits for; nor again after a failure before a call went through).
    /// </summary>
    private void AwaitTurnLocked()
    {
        if (_waitForTurnAsync is not null && _turn is null && _call is null && !_turnFailed && _lease.Id is { } leaseId)
        {
            _turn = WithoutFlow(() => Task.Run(() => AwaitTurnAsync(leaseId)));
        }
    }

    private async Task AwaitTurnAsync(string leaseId)
    {
        var due = false;
        var failed = false;
        try
        {
            due = await _waitForTurnAsync!(leaseId);
        }
        catch (Exception exception)
        {
            failed = true;
            LogCallFailed(_logger, exception, _deploymentId);
        }

        List<(Waiter, CapacityTicket)>? served = null;
        lock (_gate)
        {
            _turn = null;
            _turnFailed = failed;
            if (due)
            {
                _lease.ForgetRefusal();
                _callDue = true;
            }

            if (!_disposed && _queue.Count > 0)
            {
                served = ServeQueueLocked(_time.GetTimestamp());
            }
        }

        Hand(served);
    }

    /// <summary>At the next deadline of a waiting request, or when a remembered refusal ends while requests wait.</summary>
    private void OnQueueTimer()
    {
        List<(Waiter, CapacityTicket)>? served = null;
        lock (_gate)
        {
            if (!_disposed && _queue.Count > 0)
            {
                served = ServeQueueLocked(_time.GetTimestamp());
            }
        }

        Hand(served);
    }

    /// <summary>A waiting request's client went away: it leaves the queue at once, and those behind it may now fit.</summary>
    private void Cancel(Waiter waiter, CancellationToken token)
    {
        List<(Waiter, CapacityTicket)>? served = null;
        bool removed;
        lock (_gate)
        {
            removed = _queue.Remove(waiter);
            if (removed)
            {
                _queuedTokens -= waiter.Cost;
                served = ServeQueueLocked(_time.GetTimestamp());
            }
        }

        if (removed)
        {
            waiter.Completion.TrySetCanceled(token);
        }

        Hand(served);
    }

    /// <summary>Answers waiters outside the lock; a ticket whose waiter is gone meanwhile goes back unused.</summary>
    private static void Hand(List<(Waiter Waiter, CapacityTicket Ticket)>? served)
    {
        if (served is null)
        {
            return;
        }

        foreach (var (waiter, ticket) in served)
        {
            if (!waiter.Completion.TrySetResult(ticket))
            {
                ticket.Cancel();
            }
        }
    }

    private bool TryTakeLocked(long tokens, long now, out CapacityTicket? ticket)
    {
        if (_lease.TryTake(tokens, now, out var holds, out var reservedTokens))
        {
            ticket = new CapacityTicket(this, holds, reservedTokens);
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

    /// <summary>Starts the pool's one call to the grain, reporting the lease as it is now and asking for <paramref name="need"/>.</summary>
    private Task StartCallLocked(CapacityAmount need, CapacityAmount want, long now)
    {
        var head = _queue.HeadStart;
        var request = _lease.NextCall(need, want, head, head is null ? 0 : Math.Max(_virtualTime, _queue.VirtualTime));
        _headReported = head is not null;
        _callDue = false;

        // On the thread pool: the call serves every request waiting on the pool, not the grain turn that started it,
        // and a synchronous answer must not run under the lock.
        var call = WithoutFlow(() => Task.Run(() => CallAsync(request, now)));
        _call = call;
        EnsureTimerLocked();
        return call;
    }

    private async Task CallAsync(LeaseRequest request, long sentAt)
    {
        List<(Waiter, CapacityTicket)>? served = null;
        LeaseResponse? response = null;
        try
        {
            response = await _leaseAsync(request);
        }
        catch (Exception exception)
        {
            LogCallFailed(_logger, exception, _deploymentId);
        }

        lock (_gate)
        {
            _call = null;
            var now = _time.GetTimestamp();
            if (response?.Outcome == LeaseOutcome.Expired)
            {
                LogLeaseExpired(_logger, _deploymentId, request.LeaseId);
            }

            if (response?.Outcome is LeaseOutcome.Granted or LeaseOutcome.Refused)
            {
                _bar = response.QueueBar;
                _virtualTime = Math.Max(_virtualTime, response.VirtualTime);
                _queue.AdvanceTo(_virtualTime);
                _turnFailed = false;
                _useGranted = !response.Granted.IsNone;
            }

            if (_lease.Apply(request, response, sentAt, now) && !_disposed)
            {
                _lease.GiveBackIfAsked();
                StartCallLocked(CapacityAmount.None, CapacityAmount.None, now);
            }

            if (_queue.Count > 0 || _headReported)
            {
                served = ServeQueueLocked(now);
            }
        }

        Hand(served);
    }

    private void EnsureTimerLocked()
    {
        if (_timer is null && !_disposed)
        {
            _timer = WithoutFlow(() => _time.CreateTimer(static state => ((CapacityPool)state!).OnTimer(), this, _options.RenewInterval, _options.RenewInterval));
        }
    }

    /// <summary>Every renew interval while the pool holds anything: gives back idle spare, renews and reports usage.</summary>
    private void OnTimer()
    {
        lock (_gate)
        {
            if (_call is not null || _disposed)
            {
                return;
            }

            if (!_lease.HoldsAnything)
            {
                _timer?.Dispose();
                _timer = null;
                _lease.Forget();

                // No more calls will refresh the bar: forget it rather than keep new requests off the fast path on an old
                // word; the grain's claims still keep a request that misses the spare from passing heads elsewhere.
                _bar = null;
                return;
            }

            var now = _time.GetTimestamp();
            _lease.PrepareRenewal(now);

            // While requests wait, the renewal also restates what the head lacks, which the grain sets aside for it.
            var head = _queue.Peek();
            StartCallLocked(
                head is null ? CapacityAmount.None : _lease.Need(head.Cost),
                head is null ? CapacityAmount.None : _lease.Want(head.Cost, _waiting + _queue.Count, _waitingTokens + _queuedTokens),
                now);
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

    /// <summary>A request waiting in the queue, and how it is answered.</summary>
    private sealed class Waiter(CapacityPool pool, string tenant, int weight, long tokens) : FairQueueEntry(tenant, weight, tokens)
    {
        public TaskCompletionSource<CapacityTicket> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Cancel(CancellationToken token) => pool.Cancel(this, token);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment}: the capacity grain could not be reached; requests that do not fit the silo's spare are refused for now")]
    private static partial void LogCallFailed(ILogger logger, Exception exception, string deployment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment}: lease {Lease} was unknown to the capacity grain (expired or grain reactivated); spare dropped, running requests claimed under a new lease")]
    private static partial void LogLeaseExpired(ILogger logger, string deployment, string lease);
}
