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
/// <see cref="UpstreamOptions.DrainTimeout"/>, and then <see cref="AnswerGrace"/> after the last one ended, for its answer.
/// </summary>
public sealed partial class UpstreamDrain : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>
    /// How long the silo stays whole after its last call ended: a call's answer leaves after the call stops counting, and
    /// an answer still on its way when the gateway closes and application messages are blocked is dropped, leaving its
    /// frontend to find the call lost (a completion answered 503 although served and charged; a stream held until found
    /// silent).
    /// </summary>
    internal static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    private readonly IOptions<UpstreamOptions> _options;
    private readonly ILogger<UpstreamDrain> _logger;
    private readonly TimeProvider _time;
    private int _running;
    private long _lastExit;
    private volatile bool _draining;

    public UpstreamDrain(IOptions<UpstreamOptions> options, ILogger<UpstreamDrain> logger)
        : this(options, logger, TimeProvider.System)
    {
    }

    /// <summary>On real time in every host (a test gateway's clock may stand still while its silo stops); a test's clock here.</summary>
    internal UpstreamDrain(IOptions<UpstreamOptions> options, ILogger<UpstreamDrain> logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _time = time;
    }

    public bool IsDraining => _draining;

    /// <summary>
    /// Counts a call as running; false, and nothing counted, once the drain has begun. Counted first and checked after
    /// (the drain sets its flag first and counts after), so a call the drain does not count is one that sees the flag.
    /// </summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _running);
        if (_draining)
        {
            Interlocked.Decrement(ref _running);
            return false;
        }

        return true;
    }

    public void Exit()
    {
        Volatile.Write(ref _lastExit, _time.GetTimestamp());
        Interlocked.Decrement(ref _running);
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(UpstreamDrain), ServiceLifecycleStage.Active + 1, _ => Task.CompletedTask, DrainAsync);

    internal async Task DrainAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        Interlocked.MemoryBarrier();
        var started = _time.GetTimestamp();
        while (Volatile.Read(ref _running) > 0 && !cancellationToken.IsCancellationRequested)
        {
            if (_time.GetElapsedTime(started) >= _options.Value.DrainTimeout)
            {
                LogDrainIncomplete(_logger, Volatile.Read(ref _running));
                return;
            }

            await Task.Delay(Poll, _time, CancellationToken.None);
        }

        var lastExit = Volatile.Read(ref _lastExit);
        if (lastExit != 0 && !cancellationToken.IsCancellationRequested && AnswerGrace - _time.GetElapsedTime(lastExit) is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest, _time, CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} upstream calls still running after the drain timeout")]
    private static partial void LogDrainIncomplete(ILogger logger, int count);
}
