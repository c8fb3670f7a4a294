using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing.Scheduling;

namespace Gateway.Grains.Routing;

// The pool's fair queue: requests that wait for the deployment's capacity join it, are served from the spare in weighted
// fair order as capacity comes, time out, or leave when their client goes away.
internal sealed partial class CapacityPool
{
    /// <summary>
    /// Waits in the deployment's fair queue until the request fits (a ticket that says how long it waited), it times out,
    /// or a bound refuses it at once (a ticket not acquired, saying which). Throws when <paramref name="cancellationToken"/>
    /// fires while it waits, having left the queue. A request that left a queue at <paramref name="place"/> and whose
    /// attempt failed is put back there (<see cref="FairQueue.Requeue"/>): ahead of the requests that arrived after it.
    /// </summary>
    public async ValueTask<CapacityTicket> WaitAsync(
        DeploymentLimits limits, string tenant, int weight, long tokens, QueuePlace? place, CancellationToken cancellationToken)
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
            var result = place is { } held
                ? _queue.Requeue(waiter, held.DeploymentId == _deploymentId ? held.StartTag : null, now)
                : _queue.Enqueue(waiter, now);
            if (!result.IsQueued)
            {
                // The queue's answer is when room comes at the latest (the oldest waiting request's deadline, up to the
                // queue timeout); room usually comes with the next request to leave, so a client told to wait that long
                // would sit out a queue that drains in moments: it is told to come back as a busy deployment says.
                var refusal = result.Outcome == FairQueueOutcome.TenantFull ? CapacityRefusal.TenantQueueFull : CapacityRefusal.QueueFull;
                return CapacityTicket.Refused(refusal, result.RetryAfter < _options.BusyRetryAfter ? result.RetryAfter : _options.BusyRetryAfter);
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

    /// <summary>
    /// Times out the waiting requests whose deadline has come, gives the spare to the others in fair order while the next
    /// fits and the pacer lets it go (else the queue's timer comes back when it does), and when it does not fit, asks the grain for what it lacks (unless a call runs or a refusal is remembered, in which
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
        long? pacedUntil = null;
        while (_queue.Peek() is Waiter next && (useGranted || !IsPastBarLocked()))
        {
            // Freed slots are handed on an interval apart (DispatchPacer); what the grain just granted for the head, a
            // round trip after it was asked for, is not a burst of releases and goes at once, and no request is kept
            // beside a free slot until its wait times out.
            if (!useGranted && _lease.HasSpareSlot && !_pacer.MayHandOff(now, _lease.Slots, out var notBefore) && notBefore < _queue.NextDeadline)
            {
                pacedUntil = notBefore;
                break;
            }

            if (!_lease.TryTake(next.Cost, now, out var holds, out var reservedTokens))
            {
                break;
            }

            _pacer.HandedOff(now, _lease.Slots);
            _queue.Take();
            _queuedTokens -= next.Cost;
            next.Waited = _time.GetElapsedTime(next.EnqueuedAt, now);
            (served ??= []).Add((next, new CapacityTicket(this, holds, reservedTokens, now, next)));
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
            // Held back by the pacer, the head has its slot: the grain has nothing to give it.
            if (pacedUntil is null && _call is null && (_callDue || now >= _lease.RefusedUntil))
            {
                StartCallLocked(_lease.Need(head.Cost), _lease.Want(head.Cost, _waiting + _queue.Count, _waitingTokens + _queuedTokens), now);
            }

            AwaitTurnLocked();

            var due = _queue.NextDeadline!.Value;
            if (_call is null && _lease.RefusedUntil > now && _lease.RefusedUntil < due)
            {
                due = _lease.RefusedUntil;
            }

            var wait = _time.GetElapsedTime(now, due);
            if (pacedUntil is { } paced && paced < due)
            {
                // Timers count whole milliseconds and fire at once on less: a pause rounded down would spin until due.
                wait = TimeSpan.FromMilliseconds(Math.Ceiling(_time.GetElapsedTime(now, paced).TotalMilliseconds));
            }

            _queueTimer ??= WithoutFlow(() => _time.CreateTimer(static state => ((CapacityPool)state!).OnQueueTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
            _queueTimer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        return served;
    }

    /// <summary>Whether the queue's head comes after the earliest head waiting on another silo.</summary>
    private bool IsPastBarLocked() => _bar is { } bar && _queue.HeadStart > bar;

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

    /// <summary>A request waiting in the queue, and how it is answered.</summary>
    private sealed class Waiter(CapacityPool pool, string tenant, int weight, long tokens) : FairQueueEntry(tenant, weight, tokens)
    {
        public TaskCompletionSource<CapacityTicket> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Cancel(CancellationToken token) => pool.Cancel(this, token);
    }
}
