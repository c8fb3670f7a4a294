using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.ApiFrontend.Hosting;
using Gateway.Grains.Abstractions.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.ApiFrontend.Cluster;

/// <summary>
/// Notices upstream calls whose silo is gone. An Orleans client does not fail a call whose silo was killed: it waits
/// out the call's response timeout, which for a completion is the provider's (minutes). So every pending call is
/// asked now and then (and soon after a gateway connection drops) whether its upstream activation is still working
/// on it; two "no"s (or no answer) a second apart end the call with <see cref="Call.IsLost"/> set. A stream is not asked:
/// its worker pushes to the frontend, heartbeats included, so silence for ten heartbeat intervals (20 s) is what ends it (a
/// probe could reach a fresh activation of the worker while a silo drains, which does not know the call, and end a stream
/// that was fine). A lost call is not charged: the request that made it releases its reservation at once, or, when its
/// tenant cannot be reached yet, keeps retrying in the background (<see cref="LostCallReleases"/>).
/// </summary>
public sealed partial class UpstreamCallWatch(IOptions<FrontendOptions> options, ILogger<UpstreamCallWatch> logger) : BackgroundService
{
    private static readonly TimeSpan ConfirmAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinimumAge = TimeSpan.FromSeconds(1);
    // Long enough to ride out a rolling update: while the silo that routes to this client stops, pushes wait for the
    // cluster's client directory to learn another route (seen taking 6 s and more).
    private static readonly TimeSpan PushSilence = UpstreamChunk.HeartbeatInterval * 10;

    private readonly ConcurrentDictionary<Call, byte> _calls = new();

    /// <summary>Watches a call to <paramref name="grain"/> for <paramref name="requestId"/>; dispose it when the call ends.</summary>
    public Call Watch(IUpstreamGrain grain, string requestId, CancellationToken requestAborted, bool pushed = false)
    {
        var call = new Call(this, grain, requestId, Stopwatch.GetTimestamp() + ToTicks(options.Value.UpstreamProbeInterval), pushed, requestAborted);
        _calls.TryAdd(call, 0);
        return call;
    }

    /// <summary>A gateway connection closed (a silo stopped or died): check every pending call soon.</summary>
    public void OnGatewayLost()
    {
        var soon = Stopwatch.GetTimestamp() + ToTicks(ConfirmAfter);
        foreach (var call in _calls.Keys)
        {
            if (!call.IsPushed)
            {
                call.ProbeNoLaterThan(soon);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = Stopwatch.GetTimestamp();
            List<Task>? probes = null;
            foreach (var call in _calls.Keys)
            {
                if (call.IsPushed)
                {
                    if (call.IsSilent(now, ToTicks(PushSilence)))
                    {
                        LogLost(logger, call.RequestId);
                        call.MarkLost();
                    }

                    continue;
                }

                if (call.IsDue(now) && Stopwatch.GetElapsedTime(call.StartedAt, now) >= MinimumAge)
                {
                    (probes ??= []).Add(ProbeAsync(call));
                }
            }

            if (probes is not null)
            {
                await Task.WhenAll(probes);
            }
        }
    }

    private async Task ProbeAsync(Call call)
    {
        bool alive;
        try
        {
            alive = await call.Grain.IsInFlightAsync(call.RequestId);
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException or OperationCanceledException)
        {
            alive = false;
        }

        var now = Stopwatch.GetTimestamp();
        if (alive)
        {
            call.Confirmed(now + ToTicks(options.Value.UpstreamProbeInterval));
        }
        else if (call.Doubted(now + ToTicks(ConfirmAfter)))
        {
            LogLost(logger, call.RequestId);
            call.MarkLost();
        }
    }

    private void Forget(Call call) => _calls.TryRemove(call, out _);

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream call for request {RequestId} was lost with its silo; ending it")]
    private static partial void LogLost(ILogger logger, string requestId);

    /// <summary>One pending upstream call: its token ends the call when the client leaves or the call is lost.</summary>
    public sealed class Call : IDisposable
    {
        private readonly UpstreamCallWatch _watch;
        private readonly CancellationTokenSource _cancellation;
        private long _nextProbe;
        private long _lastPush;
        private int _doubts;

        internal Call(UpstreamCallWatch watch, IUpstreamGrain grain, string requestId, long firstProbe, bool pushed, CancellationToken requestAborted)
        {
            IsPushed = pushed;
            _lastPush = Stopwatch.GetTimestamp();
            _watch = watch;
            Grain = grain;
            RequestId = requestId;
            StartedAt = Stopwatch.GetTimestamp();
            _nextProbe = firstProbe;
            _cancellation = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        }

        public IUpstreamGrain Grain { get; }

        /// <summary>The worker pushes to this call (a stream): liveness is its pushes, not probes.</summary>
        public bool IsPushed { get; }

        /// <summary>The worker pushed something (a chunk or a heartbeat): it is alive.</summary>
        public void Pushed() => Volatile.Write(ref _lastPush, Stopwatch.GetTimestamp());

        internal bool IsSilent(long now, long silence) => !IsLost && now - Volatile.Read(ref _lastPush) > silence;

        public string RequestId { get; }

        public long StartedAt { get; }

        /// <summary>Passed to the grain call: fires when the client goes away or the call is lost.</summary>
        public CancellationToken Token => _cancellation.Token;

        /// <summary>The call's silo is gone; the provider's answer, if any, will not arrive.</summary>
        public bool IsLost { get; private set; }

        internal bool IsDue(long now) => Volatile.Read(ref _nextProbe) <= now;

        internal void ProbeNoLaterThan(long at)
        {
            long current;
            do
            {
                current = Volatile.Read(ref _nextProbe);
            }
            while (current > at && Interlocked.CompareExchange(ref _nextProbe, at, current) != current);
        }

        internal void Confirmed(long nextProbe)
        {
            Volatile.Write(ref _doubts, 0);
            Volatile.Write(ref _nextProbe, nextProbe);
        }

        /// <summary>Counts a "no"; true on the second in a row, which ends the call.</summary>
        internal bool Doubted(long confirmAt)
        {
            Volatile.Write(ref _nextProbe, confirmAt);
            return Interlocked.Increment(ref _doubts) >= 2;
        }

        internal void MarkLost()
        {
            IsLost = true;
            GiveUp();
        }

        /// <summary>
        /// Ends the call without waiting for its answer any longer, when everything it was for has arrived another way (a
        /// stream's end came by push): Orleans completes the call as cancelled at once and tells its worker.
        /// </summary>
        public void GiveUp()
        {
            try
            {
                _cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The call ended meanwhile.
            }
        }

        public void Dispose()
        {
            _watch.Forget(this);
            _cancellation.Dispose();
        }
    }
}

/// <summary>Tells the <see cref="UpstreamCallWatch"/> when the client loses a gateway connection.</summary>
internal sealed class UpstreamCallWatchConnectionObserver(IServiceProvider services) : IClusterConnectionStatusObserver
{
    // Resolved when needed: observers are created while the Orleans client itself is being built.
    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            services.GetRequiredService<UpstreamCallWatch>().OnGatewayLost();
        }
    }

    public void NotifyClusterConnectionLost() => services.GetRequiredService<UpstreamCallWatch>().OnGatewayLost();
}
