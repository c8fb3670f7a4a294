using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Lets a stopping silo finish the upstream calls it is running, streams included, before it closes its gateway and
/// deactivates its grains: a stream's chunks are pushed from its <see cref="UpstreamGrain"/> activation to the frontend
/// through the cluster's gateways, so the silo must still be whole while they flow. First on the way down (before the
/// gateway tells clients to go elsewhere, <see cref="ServiceLifecycleStage.Active"/>), new calls are refused as
/// <c>UpstreamFailureKind.Draining</c>, which the frontend retries on a worker that
/// <see cref="LocalUnlessDrainingPlacement"/> puts on another silo, and the running ones are awaited, up to
/// <see cref="UpstreamOptions.DrainTimeout"/>.
/// </summary>
public sealed partial class UpstreamDrain(IOptions<UpstreamOptions> options, ILogger<UpstreamDrain> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private int _running;
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public void Enter() => Interlocked.Increment(ref _running);

    public void Exit() => Interlocked.Decrement(ref _running);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(UpstreamDrain), ServiceLifecycleStage.Active + 1, _ => Task.CompletedTask, DrainAsync);

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
