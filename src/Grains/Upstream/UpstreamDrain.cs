using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Lets a stopping silo finish the upstream calls it is running, streams included, before Orleans deactivates its
/// grains: a stream's enumerator lives in its <see cref="UpstreamGrain"/> activation, and deactivation between two
/// chunk fetches would cut it. On the way down (after the silo left the set of active silos, before grains are
/// deactivated) new calls are refused as <c>UpstreamFailureKind.Draining</c>, which the frontend retries on a worker
/// elsewhere, and the running ones are awaited, up to <see cref="UpstreamOptions.DrainTimeout"/>.
/// </summary>
public sealed partial class UpstreamDrain(IOptions<UpstreamOptions> options, ILogger<UpstreamDrain> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private int _running;
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public void Enter() => Interlocked.Increment(ref _running);

    public void Exit() => Interlocked.Decrement(ref _running);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(UpstreamDrain), ServiceLifecycleStage.BecomeActive, _ => Task.CompletedTask, DrainAsync);

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        var started = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _running) > 0 && !cancellationToken.IsCancellationRequested)
        {
            if (Stopwatch.GetElapsedTime(started) >= options.Value.DrainTimeout)
            {
                LogDrainIncomplete(logger, Volatile.Read(ref _running));
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} upstream calls still running after the drain timeout")]
    private static partial void LogDrainIncomplete(ILogger logger, int count);
}
