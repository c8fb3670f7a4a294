namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// What went wrong on the way to a provider, as the silo saw it. The frontend alone turns a kind into an HTTP status,
/// an OpenAI error and a <c>Retry-After</c> (<c>UpstreamErrors</c>); the silo never decides a status code.
/// Numbers are part of the wire contract: never renumber, only add.
/// </summary>
[GenerateSerializer, Alias("gw.UpstreamFailureKind")]
public enum UpstreamFailureKind
{
    /// <summary>No connection, or it broke: refused, host name not resolved, reset before the headers or in a completion's body.</summary>
    Unreachable = 0,

    /// <summary>No answer (or no next event of a stream) within the provider's timeouts.</summary>
    TimedOut = 1,

    /// <summary>The provider said it is overloaded or unavailable (503, 529).</summary>
    Overloaded = 2,

    /// <summary>The provider rate-limited the gateway's account (429).</summary>
    RateLimited = 3,

    /// <summary>A success status whose body is not a usable answer: not JSON, larger than the limit, an SSE event that is not JSON.</summary>
    BadResponse = 4,

    /// <summary>The provider failed with a server error (500, 502, ...), whatever its body.</summary>
    ProviderError = 5,

    /// <summary>The provider refused the request itself (400, 404, 409, 413, 422): the client's to fix, passed on with the provider's message.</summary>
    Refused = 6,

    /// <summary>The provider did not accept the gateway's credentials (401, 403).</summary>
    AuthFailed = 7,

    /// <summary>A stream that had begun ended early: cut, reset, stalled or closed without its end marker.</summary>
    StreamCut = 8,

    /// <summary>Every deployment that could serve the request is at its configured capacity.</summary>
    CapacityExceeded = 9,

    /// <summary>Every deployment that could serve the request has its circuit open or is cooling down after a 429.</summary>
    NoHealthyDeployment = 10,

    /// <summary>The worker's silo is stopping; nothing was sent, the frontend tries a worker elsewhere.</summary>
    Draining = 11,

    /// <summary>The provider served the request but its usage could not be recorded.</summary>
    NotRecorded = 12,

    /// <summary>The model has no usable provider configuration.</summary>
    NotConfigured = 13,

    /// <summary>The cluster lost the call (its silo died or its activation vanished); seen only by the frontend.</summary>
    Lost = 14,

    /// <summary>The deployment's queue holds as many waiting requests as it may: the whole deployment is saturated.</summary>
    DeploymentSaturated = 15,

    /// <summary>
    /// The request cannot be written in the wire format of the provider that was to serve it (say <c>n</c> above 1 for
    /// Anthropic): the client's to fix, told with <see cref="UpstreamFailure.ProviderMessage"/>, <c>Param</c> and <c>Code</c>.
    /// Nothing was sent.
    /// </summary>
    Untranslatable = 16,
}
