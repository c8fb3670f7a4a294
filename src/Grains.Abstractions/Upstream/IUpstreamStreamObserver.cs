namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// Where a worker pushes a stream's chunks: an object of the frontend that holds the client's connection. Pushed, not
/// pulled, so the stream does not depend on finding the worker's activation again between chunks (a pull can reach a
/// fresh activation while the cluster's membership changes, which does not know the stream). Each call returns once the
/// chunk is on its way to the client, so a slow client slows the worker down instead of queueing without bound.
/// </summary>
[Alias("gw.IUpstreamStreamObserver")]
public interface IUpstreamStreamObserver : IGrainObserver
{
    /// <summary>
    /// The next chunks of the stream, in order: every chunk the worker had at hand (one network read of the provider's
    /// usually carries several events), so a fast stream costs one push per read rather than per event. <paramref name="seq"/>
    /// numbers the pushes from 1; an empty push numbered 0 is a heartbeat. Throws when the client is gone.
    /// </summary>
    /// <remarks>
    /// Bounded at 2 s rather than Orleans' 30: while a rolling update moves the route to the client, a push or its answer
    /// can be lost on the way, and the worker sends it again (numbered, so it is taken once) instead of waiting; a resend
    /// went through where the first attempt was lost, so the bound is what such a push costs the client (at 5 s, seen
    /// three pushes in a row: a 2 s stream took 13 s). An answer normally takes milliseconds; one held longer by a
    /// client that reads slowly (once the socket's buffers are full) is taken as lost too and its resend answered at once:
    /// the worker goes one push further for every 2 s such a client does not read.
    /// </remarks>
    [Alias("OnChunksAsync"), ResponseTimeout("00:00:02")]
    Task OnChunksAsync(long seq, UpstreamChunk[] chunks);
}
