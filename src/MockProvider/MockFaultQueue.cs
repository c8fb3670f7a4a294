using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Gateway.MockProvider;

/// <summary>
/// Faults for the next chat completion requests, in FIFO order, one fault per request. Exists for faults that
/// cannot ride in the request body (the gateway under test builds the body itself). Each
/// <see cref="MockDeployment"/> has its own queue. Thread-safe.
/// </summary>
public sealed class MockFaultQueue
{
    private readonly ConcurrentQueue<MockFault> _faults = new();

    /// <summary>Number of faults still waiting for a request.</summary>
    public int Count => _faults.Count;

    /// <summary>Queues <paramref name="fault"/> for the next <paramref name="count"/> requests.</summary>
    /// <exception cref="ArgumentException">
    /// <paramref name="fault"/> is inconsistent, e.g. a number out of range or a member its kind does not use.
    /// </exception>
    public void Enqueue(MockFault fault, int count = 1)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (fault.FindProblem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(fault));
        }

        for (var i = 0; i < count; i++)
        {
            _faults.Enqueue(fault);
        }
    }

    /// <summary>Takes the fault for the current request, if any is waiting.</summary>
    public bool TryDequeue([NotNullWhen(true)] out MockFault? fault) => _faults.TryDequeue(out fault);

    /// <summary>Drops every waiting fault.</summary>
    public void Clear() => _faults.Clear();
}
