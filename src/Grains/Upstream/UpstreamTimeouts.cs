using Gateway.Grains.Providers;

namespace Gateway.Grains.Upstream;

/// <summary>
/// A provider call's timeouts as one timer on the gateway's clock: until the headers, the first-byte timeout; after them,
/// the idle timeout, restarted at every read; never beyond the call's total. One timer (not one per timeout) because
/// every request pays for each.
/// </summary>
internal sealed class UpstreamTimeouts : IDisposable
{
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _timer;
    private readonly CancellationTokenSource _linked;
    private readonly long _started;
    private readonly TimeSpan _total;
    private readonly TimeSpan _idle;

    public UpstreamTimeouts(ProviderOptions provider, TimeProvider time, CancellationToken cancellationToken)
    {
        _time = time;
        _started = time.GetTimestamp();
        _total = provider.Timeout;
        _idle = provider.IdleTimeout;
        _timer = new CancellationTokenSource(Min(provider.FirstByteTimeout, _total), time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timer.Token);
    }

    /// <summary>Cancelled when the caller goes away or a timeout fires.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>A timeout (not the caller) ended the call.</summary>
    public bool TimedOut => _timer.IsCancellationRequested;

    /// <summary>Time since the call was sent.</summary>
    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    /// <summary>Something arrived: the idle timeout starts again, within what is left of the total.</summary>
    public void Touch() => _timer.CancelAfter(Min(_idle, _total - Elapsed));

    public void Dispose()
    {
        _linked.Dispose();
        _timer.Dispose();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? (a > TimeSpan.Zero ? a : TimeSpan.FromTicks(1)) : (b > TimeSpan.Zero ? b : TimeSpan.FromTicks(1));
}
