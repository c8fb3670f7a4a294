namespace Gateway.Grains.Providers.Gemini;

/// <summary>Gemini's <c>finishReason</c> as OpenAI's <c>finish_reason</c>.</summary>
public static class GeminiFinishReasons
{
    /// <summary>
    /// <c>STOP</c> is a normal stop, unless the answer called functions: Gemini says <c>STOP</c> there too, while an
    /// OpenAI client waits for <c>tool_calls</c> to run them (the bug of LiteLLM #21041). <c>MAX_TOKENS</c> cut the
    /// answer. The safety and policy reasons are a content filter. Anything else (a malformed or unexpected function
    /// call, <c>OTHER</c>, a reason added later) ends the answer as a stop, with the calls it made, if any.
    /// </summary>
    public static string ToFinishReason(string? finishReason, bool calledFunctions) => finishReason switch
    {
        "MAX_TOKENS" => "length",
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "LANGUAGE"
            or "IMAGE_SAFETY" or "IMAGE_PROHIBITED_CONTENT" or "IMAGE_RECITATION" => "content_filter",
        _ => calledFunctions ? "tool_calls" : "stop",
    };

    /// <summary>The finish reason of an answer whose prompt Gemini blocked (<c>promptFeedback.blockReason</c>, no candidates).</summary>
    public const string PromptBlocked = "content_filter";
}
