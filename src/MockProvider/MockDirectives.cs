namespace Gateway.MockProvider;

/// <summary>
/// The request-scoped <c>mock</c> object of a request body; unset members are null. <see cref="ToolCalls"/> and
/// <see cref="CacheWriteTokens"/> act on <c>/v1/messages</c> only (JSON <c>tool_calls</c>: answer with that many
/// <c>tool_use</c> blocks calling the request's tools in turn; <c>cache_read_input_tokens</c>,
/// <c>cache_creation_input_tokens</c>: report that much input read from or written to the prompt cache, besides the
/// counted <c>input_tokens</c>; <see cref="CacheWrite1hTokens"/>, JSON <c>ephemeral_1h_input_tokens</c>: that much more
/// written to be kept an hour, reported in <c>cache_creation_input_tokens</c> and split in <c>cache_creation</c>). On
/// <c>/v1/chat/completions</c> <see cref="CacheReadTokens"/> is reported as <c>prompt_tokens_details.cached_tokens</c> and
/// <see cref="ReasoningTokens"/> (JSON <c>reasoning_tokens</c>) as <c>completion_tokens_details.reasoning_tokens</c>, each
/// on top of the counted prompt and completion and included in <c>prompt_tokens</c> and <c>completion_tokens</c>, as OpenAI
/// counts them. On Gemini's <c>generateContent</c> routes <see cref="ToolCalls"/> answers with <c>functionCall</c> parts,
/// <see cref="CacheReadTokens"/> is the <c>cachedContentTokenCount</c> (on top of the counted prompt) and
/// <see cref="BlockPrompt"/> (JSON <c>block_prompt</c>) blocks the prompt for safety: <c>promptFeedback.blockReason</c> and
/// no candidates.
/// </summary>
internal readonly record struct MockDirectives(
    int? CompletionTokens,
    int? LatencyMs,
    int? ChunkDelayMs,
    int? FailStatus,
    int? RetryAfter,
    int? CutAfterChunks,
    bool EchoHeaders,
    int? ToolCalls = null,
    int? CacheReadTokens = null,
    int? CacheWriteTokens = null,
    bool BlockPrompt = false,
    int? CacheWrite1hTokens = null,
    int? ReasoningTokens = null);
