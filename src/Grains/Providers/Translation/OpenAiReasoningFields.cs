namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// How a provider's thinking (Anthropic's thinking blocks, Gemini's thought parts) is carried on the OpenAI side, where
/// the chat format has no place for it. The gateway
/// follows the convention OpenAI-compatible clients already use for reasoning models (DeepSeek's
/// <c>reasoning_content</c>, LiteLLM's <c>thinking_blocks</c>):
/// <list type="bullet">
/// <item><c>reasoning_content</c> (string): the thinking text, on a completion's <c>message</c> and on stream deltas
/// (piece by piece); for reading only.</item>
/// <item><c>thinking_blocks</c> (array, Anthropic only): the blocks as Anthropic needs them back, <c>{"type":"thinking","thinking","signature"}</c>
/// or <c>{"type":"redacted_thinking","data"}</c>; on a completion's message, and in a stream once per block when the
/// block ends (with its whole text and signature). A client that sends an assistant message back with its
/// <c>thinking_blocks</c> gets them replayed first in that turn, before its text and <c>tool_use</c>, as Anthropic
/// requires when thinking is on during tool use (the bug of LiteLLM #15601). Blocks without a signature cannot be replayed and are left out.</item>
/// </list>
/// Thinking never appears in <c>content</c>.
/// </summary>
public static class OpenAiReasoningFields
{
    public const string ReasoningContent = "reasoning_content";
    public const string ThinkingBlocks = "thinking_blocks";
}
