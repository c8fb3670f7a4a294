using Gateway.Grains.Abstractions.Routing;
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
/// <para>Times are monotonic timestamps of the gateway clock: a wall clock stepping would stretch or cut leases.</para>
/// </remarks>
internal sealed partial class CapacityPool : IDisposable
{
    private readonly string _deploymentId;
    private readonly Func<LeaseRequest, Task<LeaseResponse>> _leaseAsync;
    private readonly DeploymentCapacityOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SiloLease _lease;

    private int _waiting;
    private long _waitingTokens;
    private Task? _call;
    private ITimer? _timer;
    private bool _disposed;

    public CapacityPool(string deploymentId, string silo, Func<LeaseRequest, Task<LeaseResponse>> lease, DeploymentCapacityOptions options, TimeProvider time, ILogger logger)
    {
        _deploymentId = deploymentId;
        _leaseAsync = lease;
        _options = options;
        _time = time;
        _logger = logger;
        _lease = new SiloLease(silo, options, time);
    }

    /// <summary>The fast path: a ticket from the spare, or false when the grain has to be asked (or refusal remembered).</summary>
    public bool TryAcquire(DeploymentLimits limits, long tokens, out CapacityTicket? ticket)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(limits, _lease.Limits) && limits != _lease.Limits)
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

                    if (_lease.IsTooLarge(tokens))
                    {
                        return CapacityTicket.Refused(CapacityRefusal.TooLarge, TimeSpan.FromMinutes(1));
                    }

                    if (_lease.IsRefused(now, out var refusal, out var retryAfter))
                    {
                        return CapacityTicket.Refused(refusal, retryAfter);
                    }

                    call = _call ?? StartCallLocked(_lease.Need(tokens), _lease.Want(tokens, _waiting, _waitingTokens), now);
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
            return _lease.Load(_time.GetTimestamp());
        }
    }

    /// <summary>Gives back what a finished (or cancelled) request held: its slot, and its tokens beyond <paramref name="actualTokens"/>.</summary>
    internal void Release(CapacityHolds holds, long reservedTokens, long actualTokens, bool cancelled)
    {
        lock (_gate)
        {
            _lease.Release(holds, reservedTokens, actualTokens, cancelled, _time.GetTimestamp());
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
        var request = _lease.NextCall(need, want);

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

            if (_lease.Apply(request, response, sentAt, now) && !_disposed)
            {
                _lease.GiveBackIfAsked();
                StartCallLocked(CapacityAmount.None, CapacityAmount.None, now);
            }
        }
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
                return;
            }

            var now = _time.GetTimestamp();
            _lease.PrepareRenewal(now);
            StartCallLocked(CapacityAmount.None, CapacityAmount.None, now);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment}: the capacity grain could not be reached; requests that do not fit the silo's spare are refused for now")]
    private static partial void LogCallFailed(ILogger logger, Exception exception, string deployment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment}: lease {Lease} was unknown to the capacity grain (expired or grain reactivated); spare dropped, running requests claimed under a new lease")]
    private static partial void LogLeaseExpired(ILogger logger, string deployment, string lease);
}
