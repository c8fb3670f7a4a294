using Gateway.Grains.Abstractions.Routing;
using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Routing;

// The pool's talk with the deployment's capacity grain: its one lease call at a time (top-ups, renewals, give-backs),
// the renew timer, and the long poll that says when a waiting head's capacity is due.
internal sealed partial class CapacityPool
{
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

            // A lease that holds nothing is forgotten only while no request waits here and the grain knows of no head of
            // this queue. Forgotten with requests waiting (all this silo's capacity given back to earlier heads elsewhere),
            // the grain would keep the head it last heard under the old lease until it expired: claiming for it, ahead of
            // later heads, the capacity freed next, and ringing a long poll no one holds, while the queue waited under a
            // new lease behind it. So the lease is renewed meanwhile, restating the head and what it lacks.
            if (!_lease.HoldsAnything && _queue.Count == 0 && !_headReported)
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment}: the capacity grain could not be reached; requests that do not fit the silo's spare are refused for now")]
    private static partial void LogCallFailed(ILogger logger, Exception exception, string deployment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment}: lease {Lease} was unknown to the capacity grain (expired or grain reactivated); spare dropped, running requests claimed under a new lease")]
    private static partial void LogLeaseExpired(ILogger logger, string deployment, string lease);
}
