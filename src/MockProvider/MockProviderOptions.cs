namespace Gateway.MockProvider;

/// <summary>
/// Settings of the fake OpenAI-compatible upstream. The instance handed to
/// <see cref="MockProviderServer.Create"/> is read on every request, so a test may change
/// <see cref="Latency"/>, <see cref="ChunkDelay"/>, <see cref="DefaultCompletionTokens"/> or
/// <see cref="ApiKey"/> while the server runs; <see cref="Url"/> only matters when the server is built.
/// </summary>
public sealed class MockProviderOptions
{
    /// <summary>
    /// The address Kestrel binds, e.g. <c>http://127.0.0.1:5199</c>. Use port 0 to let the OS pick a free
    /// port and read it back with <see cref="MockProviderServer.GetBaseAddress"/> after start
    /// (Kestrel refuses port 0 with <c>localhost</c>; use <c>127.0.0.1</c>).
    /// </summary>
    public string Url { get; set; } = "http://127.0.0.1:5199";

    /// <summary>
    /// Delay before the response, or before the first chunk of a stream. Default zero.
    /// A deployment can override it (<see cref="MockDeployment.Latency"/>), a queued fault too, and a request
    /// with the <c>mock.latency_ms</c> directive.
    /// </summary>
    public TimeSpan Latency { get; set; }

    /// <summary>
    /// Delay between consecutive stream chunks. Default zero.
    /// A deployment can override it (<see cref="MockDeployment.ChunkDelay"/>), and a request with the
    /// <c>mock.chunk_delay_ms</c> directive.
    /// </summary>
    public TimeSpan ChunkDelay { get; set; }

    /// <summary>
    /// Completion tokens produced per choice when the request names neither <c>max_completion_tokens</c>,
    /// <c>max_tokens</c> nor <c>mock.completion_tokens</c>. Default 16.
    /// </summary>
    public int DefaultCompletionTokens { get; set; } = 16;

    /// <summary>
    /// When set, the <c>/v1/*</c> and <c>/d/{deployment}/v1/*</c> routes require <c>Authorization: Bearer &lt;ApiKey&gt;</c>
    /// and answer 401 with an OpenAI error otherwise. The <c>mock/*</c> control routes and <c>/health</c> stay open.
    /// </summary>
    public string? ApiKey { get; set; }
}
