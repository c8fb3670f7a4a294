namespace Gateway.Grains.Providers.Anthropic;

/// <summary>Anthropic's <c>stop_reason</c> as OpenAI's <c>finish_reason</c>.</summary>
public static class AnthropicStopReasons
{
    /// <summary>
    /// <c>end_turn</c>, <c>stop_sequence</c> and <c>pause_turn</c> (a server tool paused the turn) are a normal stop;
    /// <c>tool_use</c> asks for tool results; <c>max_tokens</c> and <c>model_context_window_exceeded</c> cut the answer;
    /// <c>refusal</c> is a content filter. An unknown or missing reason is a normal stop.
    /// </summary>
    public static string ToFinishReason(string? stopReason) => stopReason switch
    {
        "tool_use" => "tool_calls",
        "max_tokens" or "model_context_window_exceeded" => "length",
        "refusal" => "content_filter",
        _ => "stop",
    };
}
