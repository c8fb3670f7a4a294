using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>Fields of an OpenAI chat request that every translation reads the same way.</summary>
internal static class OpenAiRequestFields
{
    /// <summary>
    /// <c>max_completion_tokens</c>, else <c>max_tokens</c> (the older name); null when the client named neither. A value
    /// that is not a positive integer is refused.
    /// </summary>
    public static TranslationRefusal? ReadMaxTokens(JsonElement root, out int? maxTokens)
    {
        maxTokens = null;
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var read) || read < 1)
                {
                    return new TranslationRefusal($"'{name}' must be a positive integer.", name, "invalid_value");
                }

                maxTokens = read;
                return null;
            }
        }

        return null;
    }

    /// <summary>True when the request asks for a stream (<c>"stream": true</c>).</summary>
    public static bool IsStream(JsonElement root) => root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;
}
