using System.Text.Json;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>What kind of Gemini part a <see cref="GeminiPart"/> becomes.</summary>
internal enum GeminiPartKind
{
    /// <summary>A text part from a JSON string or an OpenAI text part.</summary>
    Text,

    /// <summary><c>inlineData</c> from a base64 data URI (an <c>image_url</c> or a <c>file</c>'s <c>file_data</c>).</summary>
    InlineData,

    /// <summary><c>fileData</c> from an <c>image_url</c> that is an http(s) URL.</summary>
    FileData,

    /// <summary><c>inlineData</c> from an OpenAI <c>input_audio</c> part.</summary>
    Audio,

    /// <summary>A <c>functionCall</c> part from an assistant's <c>tool_calls</c> entry.</summary>
    FunctionCall,

    /// <summary>A <c>functionResponse</c> part from a <c>tool</c> message.</summary>
    FunctionResponse,
}

/// <summary>
/// One part of the translated request, pointing at the OpenAI JSON it is written from (which stays alive while the
/// request is translated). <see cref="Detail"/>: the media type of inline or file data, or a function response's name.
/// </summary>
internal readonly record struct GeminiPart(GeminiPartKind Kind, JsonElement Source, string? Detail = null);

/// <summary>One content of the translated request: a role (<c>user</c> or <c>model</c>), the parts that must come first (function responses), then the rest.</summary>
internal sealed class GeminiTurn(string role)
{
    public string Role { get; } = role;

    public List<GeminiPart> Leading { get; } = [];

    public List<GeminiPart> Parts { get; } = [];
}
