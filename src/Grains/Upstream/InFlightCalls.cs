namespace Gateway.Grains.Upstream;

/// <summary>
/// The calls one <see cref="UpstreamGrain"/> activation is running: what its <c>IsInFlightAsync</c> answers a frontend's
/// probe, and what the silo's <see cref="UpstreamDrain"/> waits for before the silo stops. While the silo drains, no new
/// call is taken. Used only inside the activation's turns (reentrant, but one turn at a time), so a plain set does.
/// </summary>
internal sealed class InFlightCalls(UpstreamDrain drain)
{
    private readonly UpstreamDrain _drain = drain;
    private readonly HashSet<string> _requestIds = new(StringComparer.Ordinal);

    public bool Contains(string requestId) => _requestIds.Contains(requestId);

    /// <summary>
    /// Counts the call as running until <paramref name="running"/> is disposed; false, and nothing counted, while the silo
    /// drains (the frontend then retries on a worker elsewhere).
    /// </summary>
    public bool TryEnter(string requestId, out Running running)
    {
        if (!_drain.TryEnter())
        {
            running = default;
            return false;
        }

        _requestIds.Add(requestId);
        running = new Running(this, requestId);
        return true;
    }

    private void Exit(string requestId)
    {
        _drain.Exit();
        _requestIds.Remove(requestId);
    }

    /// <summary>One running call, until disposed. A struct: counting a call allocates nothing.</summary>
    public readonly struct Running(InFlightCalls calls, string requestId) : IDisposable
    {
        public void Dispose() => calls.Exit(requestId);
    }
}
