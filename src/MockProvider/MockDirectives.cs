namespace Gateway.MockProvider;

/// <summary>The request-scoped <c>mock</c> object of a chat completion body; unset members are null.</summary>
internal readonly record struct MockDirectives(
    int? CompletionTokens,
    int? LatencyMs,
    int? ChunkDelayMs,
    int? FailStatus,
    int? RetryAfter,
    int? CutAfterChunks,
    bool EchoHeaders);
