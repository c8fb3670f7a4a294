namespace Gateway.MockProvider;

/// <summary>
/// What a queued <see cref="MockFault"/> breaks beyond a status, a latency or a cut; the JSON of
/// <c>POST /mock/faults</c> names them in snake_case (<c>"kind":"reset_before_headers"</c>).
/// </summary>
public enum MockFaultKind
{
    /// <summary>Nothing beyond the fault's other members (status, latency, cut).</summary>
    None = 0,

    /// <summary>Reads the request, then resets the TCP connection (RST) before any response byte.</summary>
    ResetBeforeHeaders,

    /// <summary>
    /// Non-streaming: sends the headers (with the full Content-Length) and about half the body, then resets the
    /// connection. Streaming: sends <see cref="MockFault.CutAfterChunks"/> content chunks (default 1), then resets it.
    /// </summary>
    ResetMidBody,

    /// <summary>Sends nothing until the client leaves, or for <see cref="MockFault.Stall"/>, then answers normally.</summary>
    StallBeforeHeaders,

    /// <summary>
    /// Non-streaming: sends the headers and about half the body, then stalls. Streaming: sends
    /// <see cref="MockFault.StallAfterChunks"/> content chunks (default 1), then stalls. The stall lasts until the
    /// client leaves, or for <see cref="MockFault.Stall"/> after which the response goes on normally.
    /// </summary>
    StallMidBody,

    /// <summary>
    /// Streaming only: the first <see cref="MockFault.BurstChunks"/> events (role chunks count) leave in one write,
    /// then the stream stalls as for <see cref="StallMidBody"/> before going on. Non-streaming requests are answered normally.
    /// </summary>
    Burst,

    /// <summary>A 200 with <c>Content-Type: application/json</c> whose body is an HTML page, for streams too.</summary>
    GarbageBody,

    /// <summary>
    /// Streaming only: after <see cref="MockFault.GarbageAfterChunks"/> content chunks (default 1), one event whose
    /// data is not JSON (<c>data: this is not json</c>), then the rest of the stream up to <c>[DONE]</c>.
    /// Non-streaming requests are answered normally.
    /// </summary>
    GarbageEvent,

    /// <summary>
    /// A valid completion of at least <see cref="MockFault.BodyBytes"/> bytes (default 2 MiB), its usage counting
    /// the long text. Streaming: each choice's text comes in one content event of that size.
    /// </summary>
    OversizeBody,

    /// <summary>A valid completion without any <c>usage</c> member; a stream sends no usage chunk even when asked.</summary>
    NoUsage,
}
