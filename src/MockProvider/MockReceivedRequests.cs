using System.Collections.Concurrent;

namespace Gateway.MockProvider;

/// <summary>
/// The last <see cref="Capacity"/> requests a deployment's <c>/v1/messages</c> route received, oldest first; older ones are
/// forgotten, so a long benchmark run holds no more than that. Thread-safe.
/// </summary>
public sealed class MockReceivedRequests
{
    /// <summary>How many requests are kept.</summary>
    public const int Capacity = 64;

    private readonly ConcurrentQueue<MockReceivedRequest> _requests = new();

    /// <summary>The requests kept, oldest first.</summary>
    public IReadOnlyList<MockReceivedRequest> All => [.. _requests];

    internal void Add(MockReceivedRequest request)
    {
        _requests.Enqueue(request);
        while (_requests.Count > Capacity && _requests.TryDequeue(out _))
        {
        }
    }
}
