using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;
using Gateway.Grains.Routing.Scheduling;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Routing;

/// <summary>
/// Silos' <see cref="DeploymentCapacity"/> pools wired to one <see cref="CapacityLedger"/> per deployment, as the grain
/// would be, without a cluster: a fake clock, a count of grain calls, calls that can be held or made to fail per silo.
/// </summary>
internal sealed class CapacityHarness
{
    private readonly Dictionary<string, CapacityLedger> _ledgers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CapacityTurns> _turns = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unreachable = new(StringComparer.Ordinal);
    private readonly List<DeploymentCapacity> _silos = [];
    private TaskCompletionSource? _hold;
    private int _calls;

    public FakeTimeProvider Clock { get; } = new(ClusterFixture.Start);

    public DeploymentCapacityOptions Options { get; } = new();

    /// <summary>Calls that reached the grain (failed ones included).</summary>
    public int Calls => Volatile.Read(ref _calls);

    public DeploymentCapacity Silo(string name, FairQueueOptions? queue = null)
    {
        var silo = new DeploymentCapacity(id => request => LeaseAsync(name, id, request), name, Options, Clock, NullLogger.Instance, queue, id => lease => WaitForTurnAsync(id, lease));
        _silos.Add(silo);
        return silo;
    }

    public void SetReachable(string silo, bool reachable)
    {
        lock (_ledgers)
        {
            if (reachable)
            {
                _unreachable.Remove(silo);
            }
            else
            {
                _unreachable.Add(silo);
            }
        }
    }

    /// <summary>Grain calls wait until <see cref="Release"/>.</summary>
    public void Hold() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _hold?.TrySetResult();

    public DeploymentCapacityReport Report(string deploymentId)
    {
        lock (_ledgers)
        {
            return Ledger(deploymentId).Report(deploymentId, Clock.GetUtcNow());
        }
    }

    /// <summary>
    /// Moves the clock in renew-interval steps, letting the calls each step's timers start finish before the next, as
    /// they would in real time; a call still running when its pool's timer fires again makes the pool skip that turn.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        while (by > TimeSpan.Zero)
        {
            var step = by < Options.RenewInterval ? by : Options.RenewInterval;
            Clock.Advance(step);
            by -= step;
            await WhenCallsDoneAsync();
        }
    }

    public async Task WhenCallsDoneAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.WhenCallsDoneAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    private async Task<LeaseResponse> LeaseAsync(string silo, string deploymentId, LeaseRequest request)
    {
        Interlocked.Increment(ref _calls);
        if (_hold is { } hold)
        {
            await hold.Task;
        }

        lock (_ledgers)
        {
            if (_unreachable.Contains(silo))
            {
                throw new TimeoutException($"{silo} cannot reach the capacity grain of {deploymentId}.");
            }

            var now = Clock.GetUtcNow();
            var response = Ledger(deploymentId).Lease(request, now, out _);
            List<string> due = [];
            Ledger(deploymentId).Due(due, now);
            Turns(deploymentId).Ring(due);
            return response;
        }
    }

    /// <summary>The grain's long poll, as <see cref="DeploymentCapacityGrain"/> answers it; not counted in <see cref="Calls"/>.</summary>
    private Task<bool> WaitForTurnAsync(string deploymentId, string leaseId)
    {
        lock (_ledgers)
        {
            return Turns(deploymentId).WaitAsync(leaseId, Ledger(deploymentId).IsDue(leaseId, Clock.GetUtcNow()));
        }
    }

    private CapacityTurns Turns(string deploymentId)
    {
        if (!_turns.TryGetValue(deploymentId, out var turns))
        {
            _turns[deploymentId] = turns = new CapacityTurns(Clock, Options.RenewInterval);
        }

        return turns;
    }

    private CapacityLedger Ledger(string deploymentId)
    {
        if (!_ledgers.TryGetValue(deploymentId, out var ledger))
        {
            _ledgers[deploymentId] = ledger = new CapacityLedger(Options);
        }

        return ledger;
    }
}
