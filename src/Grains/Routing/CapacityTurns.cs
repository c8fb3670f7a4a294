using Gateway.Grains.Abstractions.Routing;

namespace Gateway.Grains.Routing;

/// <summary>
/// The long polls of pools whose fair queues wait on one deployment (<see cref="IDeploymentCapacityGrain"/>'s
/// <c>WaitForTurnAsync</c>): each waits until <see cref="CapacityLedger.Due"/> names its lease or a time runs out. A
/// poll carries no report, so it never races the pool's lease calls; it only says "call now". Thread-safe: completions
/// come from the grain's turns and from timers.
/// </summary>
internal sealed class CapacityTurns(TimeProvider time, TimeSpan longest)
{
    private readonly Dictionary<string, TaskCompletionSource<bool>> _waiting = new(StringComparer.Ordinal);

    public bool IsEmpty
    {
        get
        {
            lock (_waiting)
            {
                return _waiting.Count == 0;
            }
        }
    }

    /// <summary>True at once when <paramref name="due"/>; otherwise when rung, or false after <c>longest</c>.</summary>
    public async Task<bool> WaitAsync(string leaseId, bool due)
    {
        if (due)
        {
            return true;
        }

        var turn = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiting)
        {
            // One poll per lease: a newer one replaces an older one the pool has stopped waiting for.
            if (_waiting.Remove(leaseId, out var older))
            {
                older.TrySetResult(false);
            }

            _waiting.Add(leaseId, turn);
        }

        using var timeout = new CancellationTokenSource(longest, time);
        using (timeout.Token.Register(static state => ((TaskCompletionSource<bool>)state!).TrySetResult(false), turn))
        {
            var rung = await turn.Task;
            lock (_waiting)
            {
                if (_waiting.TryGetValue(leaseId, out var current) && current == turn)
                {
                    _waiting.Remove(leaseId);
                }
            }

            return rung;
        }
    }

    /// <summary>Completes the polls of the leases in <paramref name="due"/> with true.</summary>
    public void Ring(List<string> due)
    {
        lock (_waiting)
        {
            foreach (var leaseId in due)
            {
                if (_waiting.Remove(leaseId, out var turn))
                {
                    turn.TrySetResult(true);
                }
            }
        }
    }
}
