namespace Gateway.MockProvider;

/// <summary>
/// One queued fault, applied to a single later chat completion request (see <see cref="MockFaultQueue"/>).
/// Unset members leave that aspect of the request alone; a request's own <c>mock</c> directives win over the fault.
/// The order of effects is: <see cref="Latency"/>, then the before-headers kinds, then <see cref="Status"/>, then the
/// body kinds.
/// </summary>
public sealed record MockFault
{
    /// <summary>Default of <see cref="BodyBytes"/>: 2 MiB.</summary>
    public const int DefaultBodyBytes = 2 * 1024 * 1024;

    /// <summary>Largest <see cref="BodyBytes"/> accepted: 16 MiB, so a typo cannot make the mock build gigabytes.</summary>
    public const int MaxBodyBytes = 16 * 1024 * 1024;

    /// <summary>What breaks beyond status, latency and cut (JSON <c>kind</c>). Default <see cref="MockFaultKind.None"/>.</summary>
    public MockFaultKind Kind { get; init; }

    /// <summary>HTTP status (400–599) to fail with (JSON <c>status</c>), answered with <see cref="ErrorBody"/>.</summary>
    public int? Status { get; init; }

    /// <summary>Seconds to put in the <c>Retry-After</c> header of the failure (JSON <c>retry_after</c>).</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>
    /// Milliseconds to put in the <c>retry-after-ms</c> header of the failure, besides any <c>Retry-After</c>
    /// (JSON <c>retry_after_ms</c>). Needs <see cref="Status"/>.
    /// </summary>
    public int? RetryAfterMilliseconds { get; init; }

    /// <summary>The body of the <see cref="Status"/> failure (JSON <c>error_body</c>). Default <see cref="MockErrorBody.Json"/>.</summary>
    public MockErrorBody ErrorBody { get; init; }

    /// <summary>
    /// The error message of the <see cref="Status"/> failure instead of the mock's stock one (JSON <c>message</c>),
    /// e.g. "This model's maximum context length is 128000 tokens". Not with <see cref="MockErrorBody.Empty"/>.
    /// </summary>
    public string? Message { get; init; }

    /// <summary>
    /// Streams: end the connection after this many content chunks, without finish chunk, usage or <c>[DONE]</c>
    /// (JSON <c>cut_after_chunks</c>); with <see cref="MockFaultKind.ResetMidBody"/> the end is a reset, otherwise an
    /// abort. Non-streaming requests: abort the connection without any response, unless the kind says otherwise.
    /// </summary>
    public int? CutAfterChunks { get; init; }

    /// <summary>Delay before the response (or the first stream chunk), replacing the configured latency (JSON <c>latency_ms</c>).</summary>
    public TimeSpan? Latency { get; init; }

    /// <summary>
    /// How long a stall of <see cref="MockFaultKind.StallBeforeHeaders"/>, <see cref="MockFaultKind.StallMidBody"/>
    /// or <see cref="MockFaultKind.Burst"/> lasts before the response goes on (JSON <c>stall_ms</c>); null stalls
    /// until the client leaves.
    /// </summary>
    public TimeSpan? Stall { get; init; }

    /// <summary>
    /// Content chunks a stream sends before a <see cref="MockFaultKind.StallMidBody"/> stall (JSON <c>stall_after_chunks</c>).
    /// Default 1.
    /// </summary>
    public int? StallAfterChunks { get; init; }

    /// <summary>
    /// Events of a <see cref="MockFaultKind.Burst"/> sent in one write, role chunks included (JSON <c>burst_chunks</c>).
    /// Default 3.
    /// </summary>
    public int? BurstChunks { get; init; }

    /// <summary>
    /// Content chunks before the <see cref="MockFaultKind.GarbageEvent"/> (JSON <c>garbage_after_chunks</c>). Default 1.
    /// </summary>
    public int? GarbageAfterChunks { get; init; }

    /// <summary>
    /// Least size of an <see cref="MockFaultKind.OversizeBody"/> (JSON <c>body_bytes</c>). Default <see cref="DefaultBodyBytes"/>.
    /// </summary>
    public int? BodyBytes { get; init; }

    /// <summary>What is wrong with this fault, in words naming the JSON members; null when it is valid.</summary>
    internal string? FindProblem()
    {
        if (!Enum.IsDefined(Kind))
        {
            return $"Unknown fault kind {(int)Kind}.";
        }

        if (!Enum.IsDefined(ErrorBody))
        {
            return $"Unknown error body {(int)ErrorBody}.";
        }

        if (Status is < 400 or > 599)
        {
            return "'status' must be from 400 to 599.";
        }

        if (RetryAfterSeconds < 0 || RetryAfterMilliseconds < 0 || CutAfterChunks < 0 || StallAfterChunks < 0
            || GarbageAfterChunks < 0 || Latency < TimeSpan.Zero || Stall < TimeSpan.Zero)
        {
            return "Counts, delays and retry hints must not be negative.";
        }

        if (BurstChunks < 1)
        {
            return "'burst_chunks' must be at least 1.";
        }

        if (BodyBytes is < 1 or > MaxBodyBytes)
        {
            return $"'body_bytes' must be from 1 to {MaxBodyBytes}.";
        }

        // A member the kind ignores would let a test pass for the wrong reason, as an unknown member would.
        if (Stall is not null && Kind is not (MockFaultKind.StallBeforeHeaders or MockFaultKind.StallMidBody or MockFaultKind.Burst))
        {
            return "'stall_ms' needs kind stall_before_headers, stall_mid_body or burst.";
        }

        if (StallAfterChunks is not null && Kind != MockFaultKind.StallMidBody)
        {
            return "'stall_after_chunks' needs kind stall_mid_body.";
        }

        if (BurstChunks is not null && Kind != MockFaultKind.Burst)
        {
            return "'burst_chunks' needs kind burst.";
        }

        if (GarbageAfterChunks is not null && Kind != MockFaultKind.GarbageEvent)
        {
            return "'garbage_after_chunks' needs kind garbage_event.";
        }

        if (BodyBytes is not null && Kind != MockFaultKind.OversizeBody)
        {
            return "'body_bytes' needs kind oversize_body.";
        }

        if (Status is null && (RetryAfterMilliseconds is not null || ErrorBody != MockErrorBody.Json || Message is not null))
        {
            return "'retry_after_ms', 'error_body' and 'message' need 'status'.";
        }

        if (Message is not null && ErrorBody == MockErrorBody.Empty)
        {
            return "'message' cannot go in an empty error body.";
        }

        // A reset or a changed body would hide the status, so only a stall may come before a failure.
        if (Status is not null && Kind is not (MockFaultKind.None or MockFaultKind.StallBeforeHeaders))
        {
            return "'status' combines only with kind stall_before_headers.";
        }

        return null;
    }
}
