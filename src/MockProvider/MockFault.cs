namespace Gateway.MockProvider;

/// <summary>
/// One queued fault, applied to a single later chat completion request (see <see cref="MockFaultQueue"/>).
/// Unset members leave that aspect of the request alone; a request's own <c>mock</c> directives win over the fault.
/// </summary>
public sealed record MockFault
{
    /// <summary>HTTP status (400–599) to fail with, answered with an OpenAI error body.</summary>
    public int? Status { get; init; }

    /// <summary>Seconds to put in the <c>Retry-After</c> header of the failure.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>
    /// Streams: abort the connection after this many content chunks, without finish chunk, usage or <c>[DONE]</c>.
    /// Non-streaming requests: abort the connection without any response.
    /// </summary>
    public int? CutAfterChunks { get; init; }

    /// <summary>Delay before the response (or the first stream chunk), replacing <see cref="MockProviderOptions.Latency"/>.</summary>
    public TimeSpan? Latency { get; init; }
}
