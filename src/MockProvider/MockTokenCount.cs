using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Gateway.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Gateway.MockProvider;

/// <summary>
/// How the mock counts a request's input tokens, public so that tests can predict prompt tokens exactly. Counting uses
/// the o200k_base encoding (gpt-4o family), bounded as the gateway bounds it (a piece longer than 128 characters counts
/// as its UTF-8 length).
/// </summary>
/// <remarks>
/// Its own count on purpose, not the gateway's <c>ChatTokenCounter</c>: as a provider's count is, it is an independent
/// check of what the gateway reserves and charges (only the bounded piece rule is shared, as source, so both agree on
/// what a provider would bill).
/// </remarks>
public static class MockTokenCount
{
    // Per OpenAI's documented chat formula for gpt-4o-family models.
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPrimingTokens = 3;

    /// <summary>The o200k_base tokenizer the mock counts with (loaded once per process).</summary>
    public static Tokenizer Tokenizer => O200kTokenizer.Instance;

    /// <summary>
    /// Prompt tokens of a chat <c>messages</c> array: per message 3 + tokens(role) + tokens of the text content
    /// (a string, or the <c>text</c> of each <c>"type":"text"</c> part of an array; other parts count 0)
    /// + 1 + tokens(name) when <c>name</c> is a string + tokens of each tool call's <c>function.name</c> and
    /// <c>function.arguments</c>; plus 3 for the reply priming. Entries that are not objects are ignored.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="messages"/> is not an array.</exception>
    public static int CountPromptTokens(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException("messages must be a JSON array.", nameof(messages));
        }

        var total = ReplyPrimingTokens;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            total += TokensPerMessage;
            foreach (var property in message.EnumerateObject())
            {
                if (property.NameEquals("role"u8))
                {
                    total += CountText(property.Value);
                }
                else if (property.NameEquals("content"u8))
                {
                    total += CountContent(property.Value);
                }
                else if (property.NameEquals("name"u8))
                {
                    if (property.Value.ValueKind == JsonValueKind.String)
                    {
                        total += TokensPerName + CountText(property.Value);
                    }
                }
                else if (property.NameEquals("tool_calls"u8))
                {
                    total += CountToolCalls(property.Value);
                }
            }
        }

        return total;
    }

    /// <summary>
    /// Input tokens of an Anthropic Messages request: <see cref="CountPromptTokens"/> of its <c>messages</c> plus the tokens
    /// of its <c>system</c> (a string, or the <c>text</c> of each text block). Cache reads and writes come on top.
    /// </summary>
    public static int CountMessagesInputTokens(JsonElement system, JsonElement messages) =>
        CountPromptTokens(messages) + CountContent(system);

    /// <summary>
    /// Input tokens of a Gemini <c>generateContent</c> request: per content 3 + tokens(role) + tokens of each part (its
    /// <c>text</c>; a <c>functionCall</c>'s name and args; a <c>functionResponse</c>'s name and response, as JSON text), plus
    /// the parts of <c>systemInstruction</c> and 3 for the reply priming. Cached input comes on top.
    /// </summary>
    public static int CountGeminiInputTokens(JsonElement system, JsonElement contents)
    {
        var total = ReplyPrimingTokens + CountGeminiParts(system);
        if (contents.ValueKind == JsonValueKind.Array)
        {
            foreach (var content in contents.EnumerateArray())
            {
                if (content.ValueKind == JsonValueKind.Object)
                {
                    total += TokensPerMessage + (content.TryGetProperty("role"u8, out var role) ? CountText(role) : 0) + CountGeminiParts(content);
                }
            }
        }

        return total;
    }

    private static int CountGeminiParts(JsonElement content)
    {
        var total = 0;
        if (content.ValueKind != JsonValueKind.Object || !content.TryGetProperty("parts"u8, out var parts) || parts.ValueKind != JsonValueKind.Array)
        {
            return 0;
        }

        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (part.TryGetProperty("text"u8, out var text))
            {
                total += CountText(text);
            }

            foreach (var (call, payload) in (ReadOnlySpan<(string, string)>)[("functionCall", "args"), ("functionResponse", "response")])
            {
                if (part.TryGetProperty(call, out var function) && function.ValueKind == JsonValueKind.Object)
                {
                    total += (function.TryGetProperty("name"u8, out var name) ? CountText(name) : 0)
                        + (function.TryGetProperty(payload, out var value) ? Count(value.GetRawText()) : 0);
                }
            }
        }

        return total;
    }

    /// <summary>Tokens of a piece of text, as the mock counts everything.</summary>
    public static int CountText(string text) => Count(text);

    private static int CountContent(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return CountText(content);
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return 0;
        }

        var total = 0;
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object
                && part.TryGetProperty("type"u8, out var type)
                && type.ValueKind == JsonValueKind.String
                && type.ValueEquals("text"u8)
                && part.TryGetProperty("text"u8, out var text))
            {
                total += CountText(text);
            }
        }

        return total;
    }

    private static int CountToolCalls(JsonElement toolCalls)
    {
        if (toolCalls.ValueKind != JsonValueKind.Array)
        {
            return 0;
        }

        var total = 0;
        foreach (var call in toolCalls.EnumerateArray())
        {
            if (call.ValueKind == JsonValueKind.Object
                && call.TryGetProperty("function"u8, out var function)
                && function.ValueKind == JsonValueKind.Object)
            {
                if (function.TryGetProperty("name"u8, out var name))
                {
                    total += CountText(name);
                }

                if (function.TryGetProperty("arguments"u8, out var arguments))
                {
                    total += CountText(arguments);
                }
            }
        }

        return total;
    }

    /// <summary>Tokens of a JSON string value; 0 for anything else.</summary>
    private static int CountText(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return 0;
        }

        // The raw value still has its quotes; without escapes it can be decoded straight into a pooled
        // buffer instead of allocating a string per message.
        var raw = JsonMarshal.GetRawUtf8Value(value);
        raw = raw[1..^1];
        if (raw.IndexOf((byte)'\\') >= 0)
        {
            return Count(value.GetString());
        }

        if (raw.Length <= 256)
        {
            Span<char> small = stackalloc char[raw.Length];
            var written = Encoding.UTF8.GetChars(raw, small);
            return Count(small[..written]);
        }

        var rented = ArrayPool<char>.Shared.Rent(raw.Length);
        try
        {
            var written = Encoding.UTF8.GetChars(raw, rented);
            return Count(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    // Linear in the text, as the gateway counts: a long run of one character counts as its UTF-8 length.
    private static int Count(ReadOnlySpan<char> text) => (int)Math.Min(int.MaxValue, BoundedTokenCount.Count(O200kTokenizer.Instance, text));
}
