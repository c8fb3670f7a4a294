using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Gateway.Catalog.Tokenization;

/// <summary>
/// Counts tokens with the o200k_base encoding (GPT-4o/4.1 family), using OpenAI's documented chat formula:
/// 3 tokens per message, the role, the text, 1 more for a name, and 3 to prime the reply. Other providers'
/// tokenizers differ slightly; the count is an estimate for reservations, and settlement uses what the provider reports.
/// The work is linear in the text: a run of one character longer than <see cref="BoundedTokenCount.MaxPieceChars"/>
/// counts as its UTF-8 length, an upper bound (see <see cref="BoundedTokenCount"/>).
/// </summary>
public static class ChatTokenCounter
{
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPriming = 3;

    private static readonly Tokenizer Tokenizer = TiktokenTokenizer.CreateForEncoding("o200k_base");

    public static int CountText(ReadOnlySpan<char> text) => (int)Math.Min(int.MaxValue, BoundedTokenCount.Count(Tokenizer, text));

    /// <summary>Tokens of <paramref name="text"/>, counting stopped (and a number over the cap returned) once over <paramref name="cap"/>.</summary>
    public static long CountText(ReadOnlySpan<char> text, long cap, CancellationToken cancellationToken) =>
        BoundedTokenCount.Count(Tokenizer, text, cap, cancellationToken);

    /// <summary>Tokens of an OpenAI <c>messages</c> array. Non-text parts (images, audio) count nothing.</summary>
    public static int CountMessages(JsonElement messages) => (int)Math.Min(int.MaxValue, CountMessages(messages, long.MaxValue, CancellationToken.None));

    /// <summary>
    /// Tokens of an OpenAI <c>messages</c> array, counting stopped (and a number over <paramref name="cap"/> returned) as
    /// soon as the total is over <paramref name="cap"/>.
    /// </summary>
    public static long CountMessages(JsonElement messages, long cap, CancellationToken cancellationToken)
    {
        var counter = new Counter(cap, cancellationToken);
        counter.Add(ReplyPriming);
        foreach (var message in messages.EnumerateArray())
        {
            counter.Add(TokensPerMessage);
            if (message.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var property in message.EnumerateObject())
            {
                if (counter.IsOver)
                {
                    return counter.Total;
                }

                switch (property.Name)
                {
                    case "role":
                        counter.Add(property.Value);
                        break;
                    case "name":
                        counter.Add(TokensPerName);
                        counter.Add(property.Value);
                        break;
                    case "content":
                        CountContent(property.Value, ref counter);
                        break;
                    case "tool_calls":
                        CountToolCalls(property.Value, ref counter);
                        break;
                }
            }
        }

        return counter.Total;
    }

    /// <summary>
    /// A bound no count of <see cref="CountMessages(JsonElement)"/> exceeds, found without tokenizing: every token is at
    /// least one byte, and a JSON string's raw (escaped) text is at least as long as its UTF-8.
    /// </summary>
    public static long UpperBound(JsonElement messages)
    {
        long total = ReplyPriming;
        foreach (var message in messages.EnumerateArray())
        {
            total += TokensPerMessage;
            if (message.ValueKind == JsonValueKind.Object)
            {
                // Every counted string is inside the message, so the message's raw length bounds them all (plus the name's 1).
                total += TokensPerName + JsonMarshal.GetRawUtf8Value(message).Length;
            }
        }

        return total;
    }

    private static void CountContent(JsonElement content, ref Counter counter)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            counter.Add(content);
            return;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object
                && part.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("text")
                && part.TryGetProperty("text", out var text))
            {
                counter.Add(text);
            }
        }
    }

    private static void CountToolCalls(JsonElement toolCalls, ref Counter counter)
    {
        if (toolCalls.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var call in toolCalls.EnumerateArray())
        {
            if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
            {
                if (function.TryGetProperty("name", out var name)) counter.Add(name);
                if (function.TryGetProperty("arguments", out var arguments)) counter.Add(arguments);
            }
        }
    }

    private struct Counter(long cap, CancellationToken cancellationToken)
    {
        public long Total { get; private set; }

        public readonly bool IsOver => Total > cap;

        public void Add(long tokens) => Total += tokens;

        public void Add(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.String && !IsOver)
            {
                Total += BoundedTokenCount.Count(Tokenizer, value.GetString(), cap - Total, cancellationToken);
            }
        }
    }
}
