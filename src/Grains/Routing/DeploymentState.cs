using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Upstream;
using Polly;
using Polly.CircuitBreaker;

namespace Gateway.Grains.Routing;

/// <summary>
/// One deployment as this silo sees it. The breaker is a Polly circuit breaker driven by the gateway's clock; latency is
/// an exponentially weighted moving average of time to first byte that decays with time (not with the number of
/// samples), and balancing reads it decayed further by the time since its last sample (<see cref="Load"/>), so a
/// deployment that was slow a while ago is not shunned forever.
/// </summary>
public sealed class DeploymentState
{
    private static readonly TimeSpan LatencyHalfLife = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ErrorWindow = TimeSpan.FromSeconds(30);

    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly TimeSpan _breakDuration;
    private int _inFlight;
    private double _latencyMs = double.NaN;
    private long _latencyAt;
    private DateTimeOffset _coolUntil;
    private DateTimeOffset _openedAt;
    private readonly Queue<(DateTimeOffset At, bool Failed)> _recent = new();

    internal DeploymentState(string id, UpstreamBreakerOptions breaker, TimeProvider time)
    {
        Id = id;
        _time = time;
        _breakDuration = breaker.BreakDuration;
        Breaker = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<AttemptResult>
            {
                FailureRatio = breaker.FailureRatio,
                MinimumThroughput = breaker.MinimumThroughput,
                SamplingDuration = breaker.SamplingDuration,
                BreakDuration = breaker.BreakDuration,
                StateProvider = _circuit,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result is { CountsAgainstDeployment: true }),
                OnOpened = args =>
                {
                    _openedAt = _time.GetUtcNow();
                    return default;
                },
            })
            .Build();
    }

    public string Id { get; }

    /// <summary>Runs one attempt through the breaker; throws <see cref="BrokenCircuitException"/> while the circuit is open.</summary>
    public ResiliencePipeline<AttemptResult> Breaker { get; }

    public CircuitState Circuit => _circuit.CircuitState;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Time to first byte, smoothed; null before the first measurement.</summary>
    public double? LatencyMs
    {
        get
        {
            lock (_lock)
            {
                return double.IsNaN(_latencyMs) ? null : _latencyMs;
            }
        }
    }

    /// <summary>Whether balancing may send a request here now; when not, how long until it may, and whether a 429 cooldown is why.</summary>
    public bool IsUsable(DateTimeOffset now, out TimeSpan wait, out bool coolingDown)
    {
        coolingDown = false;
        var circuit = _circuit.CircuitState;
        if (circuit is CircuitState.Open or CircuitState.Isolated)
        {
            wait = _openedAt + _breakDuration - now;
            wait = wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(100);
            if (circuit == CircuitState.Isolated || _openedAt + _breakDuration > now)
            {
                return false;
            }
        }

        lock (_lock)
        {
            wait = _coolUntil - now;
        }

        coolingDown = wait > TimeSpan.Zero;
        return !coolingDown;
    }

    /// <summary>The deployment answered 429: no request goes here until <paramref name="wait"/> has passed.</summary>
    public void CoolDown(TimeSpan wait)
    {
        var until = _time.GetUtcNow() + wait;
        lock (_lock)
        {
            if (until > _coolUntil)
            {
                _coolUntil = until;
            }
        }
    }

    public void Enter() => Interlocked.Increment(ref _inFlight);

    public void Exit() => Interlocked.Decrement(ref _inFlight);

    public void RecordFirstByte(TimeSpan elapsed)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (double.IsNaN(_latencyMs))
            {
                _latencyMs = elapsed.TotalMilliseconds;
            }
            else
            {
                var age = _time.GetElapsedTime(_latencyAt, now);
                var keep = Math.Pow(0.5, age / LatencyHalfLife);
                _latencyMs = keep * _latencyMs + (1 - keep) * elapsed.TotalMilliseconds;
            }

            _latencyAt = now;
        }
    }

    public void RecordOutcome(bool failed)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            _recent.Enqueue((now, failed));
            Trim(now);
        }
    }

    /// <summary>Calls and failed calls within the last 30 seconds.</summary>
    public (int Calls, int Failures) Recent
    {
        get
        {
            lock (_lock)
            {
                Trim(_time.GetUtcNow());
                var failures = 0;
                foreach (var (_, failed) in _recent)
                {
                    failures += failed ? 1 : 0;
                }

                return (_recent.Count, failures);
            }
        }
    }

    /// <summary>This silo's view of the deployment now, for operators (<see cref="IDeploymentStatusGrain"/>).</summary>
    public DeploymentHealthReport Report(string silo)
    {
        var now = _time.GetUtcNow();
        var circuit = _circuit.CircuitState switch
        {
            CircuitState.Open => DeploymentCircuit.Open,
            CircuitState.HalfOpen => DeploymentCircuit.HalfOpen,
            CircuitState.Isolated => DeploymentCircuit.Isolated,
            _ => DeploymentCircuit.Closed,
        };
        var (calls, failures) = Recent;
        DateTimeOffset coolUntil;
        lock (_lock)
        {
            coolUntil = _coolUntil;
        }

        return new DeploymentHealthReport(
            silo, circuit, circuit == DeploymentCircuit.Open ? _openedAt + _breakDuration : null, InFlight, LatencyMs, calls, failures,
            coolUntil > now ? coolUntil : null, now);
    }

    /// <summary>
    /// Least-latency balancing's cost of sending one more request here: latency times the queue it would join. The latency
    /// counts for less the longer it goes unmeasured, halving every half-life (as Finagle's PeakEwma reads its cost): a
    /// deployment that lost every comparison is never picked, so never measured again, and without this decay one slow
    /// measurement would shun it for good. Decayed, it wins a comparison after a while, gets one request and is measured
    /// again: soon if it was only a little slower, rarely if it is much slower (a tenth of the other's speed: every ~33 s).
    /// </summary>
    internal double Load
    {
        get
        {
            lock (_lock)
            {
                var latency = double.IsNaN(_latencyMs) ? 0 : _latencyMs * Math.Pow(0.5, _time.GetElapsedTime(_latencyAt) / LatencyHalfLife);
                return latency * (InFlight + 1);
            }
        }
    }

    private void Trim(DateTimeOffset now)
    {
        while (_recent.Count > 0 && (now - _recent.Peek().At > ErrorWindow || _recent.Count > 10_000))
        {
            _recent.Dequeue();
        }
    }
}
