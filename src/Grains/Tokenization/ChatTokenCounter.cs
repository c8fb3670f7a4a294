using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Gateway.Grains.Tokenization;

/// <summary>
/// Counts tokens with the o200k_base encoding (GPT-4o/4.1 family), using OpenAI's documented chat formula:
/// 3 tokens per message, the role, the text, 1 more for a name, and 3 to prime the reply. Other providers'
/// tokenizers differ slightly; the count is an estimate for reservations, and settlement uses what the provider reports.
/// </summary>
public static class ChatTokenCounter
{
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPriming = 3;

    private static readonly Tokenizer Tokenizer = TiktokenTokenizer.CreateForEncoding("o200k_base");

    public static int CountText(ReadOnlySpan<char> text) => text.IsEmpty ? 0 : Tokenizer.CountTokens(text);

    /// <summary>Tokens of an OpenAI <c>messages</c> array. Non-text parts (images, audio) count nothing.</summary>
    public static int CountMessages(JsonElement messages)
    {
        var total = ReplyPriming;
        foreach (var message in messages.EnumerateArray())
        {
            total += TokensPerMessage;
            if (message.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var property in message.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "role":
                        total += CountString(property.Value);
                        break;
                    case "name":
                        total += TokensPerName + CountString(property.Value);
                        break;
                    case "content":
                        total += CountContent(property.Value);
                        break;
                    case "tool_calls":
                        total += CountToolCalls(property.Value);
                        break;
                }
            }
        }

        return total;
    }

    private static int CountContent(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return CountString(content);
        }

        var total = 0;
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object
                    && part.TryGetProperty("type", out var type) && type.ValueEquals("text")
                    && part.TryGetProperty("text", out var text))
                {
                    total += CountString(text);
                }
            }
        }

        return total;
    }

    private static int CountToolCalls(JsonElement toolCalls)
    {
        var total = 0;
        if (toolCalls.ValueKind != JsonValueKind.Array)
        {
            return total;
        }

        foreach (var call in toolCalls.EnumerateArray())
        {
            if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
            {
                if (function.TryGetProperty("name", out var name)) total += CountString(name);
                if (function.TryGetProperty("arguments", out var arguments)) total += CountString(arguments);
            }
        }

        return total;
    }

    private static int CountString(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? CountText(value.GetString()) : 0;
}
