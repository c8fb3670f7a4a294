using Gateway.Grains.Abstractions.Routing;
using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Routing;

/// <summary>
/// One silo's share of one deployment's capacity: what its lease holds, drawn on by requests under a tiny lock, and
/// topped up, renewed and given back through the deployment's grain, one call at a time.
/// </summary>
/// <remarks>
/// <para>A request takes one slot, one request permit and its worst-case tokens (each only when limited) from the spare.
/// When done it gives back its slot and the tokens it reserved beyond what it used; those stay in the pool as spare.
/// The permit is used at the start (a cancelled attempt, which sent nothing, gets it back).</para>
/// <para>When the spare is short the first waiting request starts a call for what it lacks (and what all waiting
/// requests lack); the others wait for that call instead of making their own. A refusal is remembered for the shorter of
/// its retry-after and <see cref="DeploymentCapacityOptions.BusyRetryAfter"/>, and requests that do not fit meanwhile are
/// refused locally: a flood on a full deployment does not become a flood of grain calls.</para>
/// <para>While it holds anything the pool reports every <see cref="DeploymentCapacityOptions.RenewInterval"/> (a timer
/// on the gateway clock). It gives its spare back when it has been idle for
/// <see cref="DeploymentCapacityOptions.IdleReturn"/> or when the grain says another silo is short, and stops drawing on
/// spare half a lease time-to-live after its last successful call, so that it never uses spare the grain may have
/// expired. Spare is removed from the pool before the call that gives it back is sent: the grain never counts as free
/// what a request could still take.</para>
/// <para>Times are monotonic timestamps of the gateway clock: a wall clock stepping would stretch or cut leases.</para>
/// </remarks>
internal sealed partial class CapacityPool : IDisposable
{
    private readonly string _deploymentId;
    private readonly string _silo;
    private readonly Func<LeaseRequest, Task<LeaseResponse>> _lease;
    private readonly DeploymentCapacityOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    private DeploymentLimits _limits = DeploymentLimits.Unlimited;
    private string? _leaseId;
    private long _sequence;

    private int _inFlight;
    private int _slotsInUse;
    private int _spareSlots;
    private long _spareRequests;
    private long _spareTokens;
    private long _reservedTokens;
    private long _requestsUsed;
    private long _tokensUsed;
    private long _reportedRequestsUsed;
    private long _reportedTokensUsed;

    private long _lastUse;
    private long _validUntil;
    private long _refusedUntil;
    private long _retryAt;
    private CapacityRefusal _refusal;
    private bool _giveBack;

    private int _waiting;
    private long _waitingTokens;
    private Task? _call;
    private ITimer? _timer;
    private bool _disposed;

    public CapacityPool(string deploymentId, string silo, Func<LeaseRequest, Task<LeaseResponse>> lease, DeploymentCapacityOptions options, TimeProvider time, ILogger logger)
    {
        _deploymentId = deploymentId;
        _silo = silo;
        _lease = lease;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The fast path: a ticket from the spare, or false when the grain has to be asked (or refusal remembered).</summary>
    public bool TryAcquire(DeploymentLimits limits, long tokens, out CapacityTicket? ticket)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(limits, _limits) && limits != _limits)
            {
                ChangeLimitsLocked(limits);
            }

            return TryTakeLocked(tokens, _time.GetTimestamp(), out ticket);
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
                    var now = _time.GetTimestamp();
                    if (TryTakeLocked(tokens, now, out var ticket))
                    {
                        return ticket!;
                    }

                    if (_limits.TokensPerMinute is { } perMinute && tokens > perMinute)
                    {
                        return CapacityTicket.Refused(CapacityRefusal.TooLarge, TimeSpan.FromMinutes(1));
                    }

                    if (now < _refusedUntil)
                    {
                        return CapacityTicket.Refused(_refusal, Remaining(now, _retryAt));
                    }

                    call = _call ?? StartCallLocked(NeedLocked(tokens), WantLocked(tokens), now);
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
            var now = _time.GetTimestamp();
            var full = now < _retryAt
                && (_limits.MaxConcurrent is not null && _spareSlots < 1 || _limits.RequestsPerMinute is not null && _spareRequests < 1);
            return new DeploymentLoad(_inFlight, _spareSlots, full);
        }
    }

    /// <summary>Gives back what a finished (or cancelled) request held: its slot, and its tokens beyond <paramref name="actualTokens"/>.</summary>
    internal void Release(CapacityHolds holds, long reservedTokens, long actualTokens, bool cancelled)
    {
        lock (_gate)
        {
            _inFlight--;
            if ((holds & CapacityHolds.Slot) != 0)
            {
                _slotsInUse--;
                _spareSlots++;
            }

            if ((holds & CapacityHolds.Request) != 0 && cancelled)
            {
                _requestsUsed--;
                _spareRequests++;
            }

            if ((holds & CapacityHolds.Tokens) != 0)
            {
                // Used beyond the reservation (an estimate that fell short) leaves the spare below zero: a debt the next
                // grant pays first, and the grain's bucket absorbs when the usage is reported.
                _reservedTokens -= reservedTokens;
                _spareTokens += reservedTokens - actualTokens;
                _tokensUsed += actualTokens;
            }

            _lastUse = _time.GetTimestamp();
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
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private bool TryTakeLocked(long tokens, long now, out CapacityTicket? ticket)
    {
        var limits = _limits;
        var holds = (limits.MaxConcurrent is null ? CapacityHolds.None : CapacityHolds.Slot)
            | (limits.RequestsPerMinute is null ? CapacityHolds.None : CapacityHolds.Request)
            | (limits.TokensPerMinute is null ? CapacityHolds.None : CapacityHolds.Tokens);
        if (holds != CapacityHolds.None
            && (now >= _validUntil
                || (holds & CapacityHolds.Slot) != 0 && _spareSlots < 1
                || (holds & CapacityHolds.Request) != 0 && _spareRequests < 1
                || (holds & CapacityHolds.Tokens) != 0 && _spareTokens < tokens))
        {
            ticket = null;
            return false;
        }

        if ((holds & CapacityHolds.Slot) != 0)
        {
            _spareSlots--;
            _slotsInUse++;
        }

        if ((holds & CapacityHolds.Request) != 0)
        {
            _spareRequests--;
            _requestsUsed++;
        }

        var reserved = (holds & CapacityHolds.Tokens) != 0 ? tokens : 0;
        _spareTokens -= reserved;
        _reservedTokens += reserved;
        _inFlight++;
        _lastUse = now;
        ticket = new CapacityTicket(this, holds, reserved);
        return true;
    }

    private CapacityAmount NeedLocked(long tokens) => new(
        _limits.MaxConcurrent is not null && _spareSlots < 1 ? 1 : 0,
        _limits.RequestsPerMinute is not null && _spareRequests < 1 ? 1 : 0,
        _limits.TokensPerMinute is not null && _spareTokens < tokens ? tokens - _spareTokens : 0);

    private CapacityAmount WantLocked(long tokens)
    {
        var need = NeedLocked(tokens);
        return new CapacityAmount(
            need.Slots > 0 ? Math.Max(need.Slots, _waiting - _spareSlots) : 0,
            need.Requests > 0 ? Math.Max(need.Requests, _waiting - _spareRequests) : 0,
            need.Tokens > 0 ? Math.Max(need.Tokens, _waitingTokens - _spareTokens) : 0);
    }

    private void ChangeLimitsLocked(DeploymentLimits limits)
    {
        _limits = limits;

        // The grain adopts limits from the calls it gets; a pool that holds capacity tells it now rather than at its
        // next renewal, so that a lowered limit is asked back from every silo at once.
        if (_leaseId is not null && _call is null)
        {
            StartCallLocked(CapacityAmount.None, CapacityAmount.None, _time.GetTimestamp());
        }
    }

    /// <summary>Starts the pool's one call to the grain, reporting the lease as it is now and asking for <paramref name="need"/>.</summary>
    private Task StartCallLocked(CapacityAmount need, CapacityAmount want, long now)
    {
        if (_leaseId is null)
        {
            // Usage is counted per lease, from zero. What the old lease used is reported already (a pool drops its lease
            // only when everything is), or was counted by the grain when it expired the lease.
            _leaseId = $"{_silo}/{Guid.NewGuid():N}";
            _sequence = 0;
            _requestsUsed = _reportedRequestsUsed = 0;
            _tokensUsed = _reportedTokensUsed = 0;
        }

        var request = new LeaseRequest(
            _leaseId,
            _silo,
            ++_sequence,
            _limits,
            new CapacityAmount(_spareSlots + _slotsInUse, _spareRequests, _spareTokens + _reservedTokens),
            _inFlight,
            _requestsUsed,
            _tokensUsed,
            need,
            want);

        // On the thread pool: the call serves every request waiting on the pool, not the grain turn that started it,
        // and a synchronous answer must not run under the lock.
        var call = WithoutFlow(() => Task.Run(() => CallAsync(request, now)));
        _call = call;
        EnsureTimerLocked();
        return call;
    }

    private async Task CallAsync(LeaseRequest request, long sentAt)
    {
        LeaseResponse? response = null;
        try
        {
            response = await _lease(request);
        }
        catch (Exception exception)
        {
            LogCallFailed(_logger, exception, _deploymentId);
        }

        lock (_gate)
        {
            _call = null;
            var now = _time.GetTimestamp();
            var followUp = false;
            switch (response?.Outcome)
            {
                case LeaseOutcome.Granted or LeaseOutcome.Refused:
                    // The grain heard from the lease at or after sentAt, so it expires the lease no earlier than a
                    // time-to-live after that; using spare for half of it leaves room for clocks and a failed renewal.
                    _validUntil = After(sentAt, _options.LeaseTimeToLive / 2);
                    _reportedRequestsUsed = request.RequestsUsed;
                    _reportedTokensUsed = request.TokensUsed;
                    _spareSlots += response.Granted.Slots;
                    _spareRequests += response.Granted.Requests;
                    _spareTokens += response.Granted.Tokens;
                    if (response.Outcome == LeaseOutcome.Refused)
                    {
                        Remember(response.Refusal, response.RetryAfter, now);
                    }
                    else if (!response.Granted.IsNone)
                    {
                        _refusedUntil = _retryAt = 0;
                    }

                    if (response.GiveBack)
                    {
                        _giveBack = followUp = true;
                    }

                    break;

                case LeaseOutcome.Expired:
                    // The grain no longer counts this lease: its spare may be someone else's now. What is running is
                    // real, and is claimed by a new lease at once.
                    LogLeaseExpired(_logger, _deploymentId, request.LeaseId);
                    _spareSlots = 0;
                    _spareRequests = 0;
                    _spareTokens = Math.Min(_spareTokens, 0);
                    _validUntil = 0;
                    _leaseId = null;
                    followUp = true;
                    break;

                default:
                    // No answer (or a stale one): refuse locally for a short while rather than hammer a grain that
                    // may be moving to another silo; the lease and its usage are restated by the next call.
                    Remember(CapacityRefusal.Unavailable, _options.BusyRetryAfter, now);
                    break;
            }

            if (followUp && !_disposed)
            {
                if (_giveBack)
                {
                    ReturnSpareLocked();
                }

                StartCallLocked(CapacityAmount.None, CapacityAmount.None, now);
            }
        }
    }

    private void Remember(CapacityRefusal refusal, TimeSpan retryAfter, long now)
    {
        _refusal = refusal;
        _retryAt = After(now, retryAfter);
        _refusedUntil = After(now, retryAfter < _options.BusyRetryAfter ? retryAfter : _options.BusyRetryAfter);
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

            var holdsAnything = _spareSlots != 0 || _slotsInUse != 0 || _spareRequests != 0 || _spareTokens != 0 || _reservedTokens != 0
                || _requestsUsed != _reportedRequestsUsed || _tokensUsed != _reportedTokensUsed;
            if (!holdsAnything)
            {
                // Nothing to renew: the grain's record of this lease (holding nothing) expires harmlessly, and the next
                // need registers a new lease rather than being told this one expired.
                _timer?.Dispose();
                _timer = null;
                _leaseId = null;
                return;
            }

            var now = _time.GetTimestamp();
            if (_giveBack || _time.GetElapsedTime(_lastUse, now) >= _options.IdleReturn)
            {
                ReturnSpareLocked();
            }

            // Spare of a kind the limits stopped covering (a configuration change) is of no use here and goes back now.
            _spareSlots = _limits.MaxConcurrent is null ? 0 : _spareSlots;
            _spareRequests = _limits.RequestsPerMinute is null ? 0 : _spareRequests;
            _spareTokens = _limits.TokensPerMinute is null ? Math.Min(_spareTokens, 0) : _spareTokens;

            StartCallLocked(CapacityAmount.None, CapacityAmount.None, now);
        }
    }

    /// <summary>
    /// Removes the spare from the pool; the call that follows reports the smaller holding, and only then does the grain
    /// count it free. A token debt stays until paid.
    /// </summary>
    private void ReturnSpareLocked()
    {
        _giveBack = false;
        _spareSlots = 0;
        _spareRequests = 0;
        _spareTokens = Math.Min(_spareTokens, 0);
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

    private long After(long timestamp, TimeSpan span) =>
        timestamp + (long)((Int128)span.Ticks * _time.TimestampFrequency / TimeSpan.TicksPerSecond);

    private TimeSpan Remaining(long now, long until)
    {
        var remaining = _time.GetElapsedTime(now, until);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.FromTicks(1);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment}: the capacity grain could not be reached; requests that do not fit the silo's spare are refused for now")]
    private static partial void LogCallFailed(ILogger logger, Exception exception, string deployment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment}: lease {Lease} was unknown to the capacity grain (expired or grain reactivated); spare dropped, running requests claimed under a new lease")]
    private static partial void LogLeaseExpired(ILogger logger, string deployment, string lease);
}
