using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// The usage an OpenAI stream reported, read from a chunk's <c>usage</c> object: prompt and completion tokens and the
/// cached part of the prompt; a later chunk's numbers replace an earlier one's.
/// </summary>
internal sealed class OpenAiStreamUsage
{
    /// <summary>The prompt tokens, or -1 while no chunk has reported them.</summary>
    public long PromptTokens { get; private set; } = -1;

    public long CompletionTokens { get; private set; }

    public long CachedTokens { get; private set; }

    /// <summary>Reads the <c>usage</c> value the reader is on (anything but an object is skipped).</summary>
    public void Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                reader.Read();
                PromptTokens = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) ? n : PromptTokens;
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                reader.Read();
                CompletionTokens = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) ? n : CompletionTokens;
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var cached = reader.ValueTextEquals("cached_tokens"u8);
                    reader.Read();
                    if (cached && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n))
                    {
                        CachedTokens = n;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }
}
