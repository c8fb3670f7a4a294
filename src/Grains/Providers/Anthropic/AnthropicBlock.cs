using System.Text.Json;

namespace Gateway.Grains.Providers.Anthropic;

/// <summary>What kind of Anthropic content block an <see cref="AnthropicBlock"/> becomes.</summary>
internal enum AnthropicBlockKind
{
    /// <summary>A text block from a JSON string or an OpenAI text part.</summary>
    Text,

    /// <summary>An image block from an OpenAI <c>image_url</c> part.</summary>
    Image,

    /// <summary>A <c>tool_use</c> block from an assistant's <c>tool_calls</c> entry.</summary>
    ToolUse,

    /// <summary>A <c>tool_result</c> block from a <c>tool</c> message.</summary>
    ToolResult,

    /// <summary>A <c>thinking</c> or <c>redacted_thinking</c> block from an assistant's <c>thinking_blocks</c> entry.</summary>
    Thinking,
}

/// <summary>
/// One content block of the translated request, pointing at the OpenAI JSON it is written from (which stays alive while
/// the request is translated). <see cref="MediaType"/>: an image's media type when it comes as a data URI.
/// </summary>
internal readonly record struct AnthropicBlock(AnthropicBlockKind Kind, JsonElement Source, string? MediaType = null);

/// <summary>One message of the translated request: a role, the blocks that must come first (tool results, thinking), then the rest.</summary>
internal sealed class AnthropicTurn(string role)
{
    public string Role { get; } = role;

    public List<AnthropicBlock> Leading { get; } = [];

    public List<AnthropicBlock> Blocks { get; } = [];
}
