namespace Gateway.MockProvider;

/// <summary>
/// A gate in front of every chat completion: while closed, requests wait (counted in <see cref="Waiting"/>) until it
/// opens or their caller goes away. Lets a fault test park every in-flight request at the provider, so a process
/// can be killed at a moment where each request's fate is known: a caller that dies while its request waits gets
/// nothing, and the mock does not count it. Thread-safe.
/// </summary>
public sealed class MockHold
{
    private readonly object _lock = new();
    private TaskCompletionSource? _gate;
    private int _waiting;

    /// <summary>Requests waiting at the closed gate now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Whether the gate is closed.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _gate is not null;
            }
        }
    }

    /// <summary>Closes the gate: requests from now on wait.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _gate ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Opens the gate and lets every waiting request go on.</summary>
    public void Open()
    {
        TaskCompletionSource? gate;
        lock (_lock)
        {
            (gate, _gate) = (_gate, null);
        }

        gate?.TrySetResult();
    }

    /// <summary>
    /// Lets the requests waiting now go on and keeps the gate closed for every later one, in one step: opening and
    /// closing instead would let a request that arrives between the two through.
    /// </summary>
    public void Release()
    {
        TaskCompletionSource? gate;
        lock (_lock)
        {
            (gate, _gate) = (_gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        gate?.TrySetResult();
    }

    /// <summary>Waits while the gate is closed; false when <paramref name="aborted"/> fired first.</summary>
    public async ValueTask<bool> PassAsync(CancellationToken aborted)
    {
        Task gate;
        lock (_lock)
        {
            if (_gate is null)
            {
                return true;
            }

            gate = _gate.Task;
        }

        Interlocked.Increment(ref _waiting);
        try
        {
            await gate.WaitAsync(aborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}
