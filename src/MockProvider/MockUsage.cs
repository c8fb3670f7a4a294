using System.Text;

namespace Gateway.MockProvider;

/// <summary>
/// The deterministic answers of the mock, public so that tests can predict completion tokens and text exactly: how many
/// tokens a choice has, and text that o200k_base counts as exactly that many (input is counted by
/// <see cref="MockTokenCount"/>).
/// </summary>
public static class MockUsage
{
    // Texts up to this many tokens are slices of one prebuilt buffer, so serving them allocates nothing.
    private const int CachedTokens = 4096;

    // Each piece is one o200k token, and because the pre-tokenizer splits at the leading space no two adjacent
    // pieces can merge; the check run against the real tokenizer confirmed exact counts up to 5000 pieces.
    private const string FirstPiece = "Hello";
    private static readonly string[] _cycle = [" world", " from", " the", " mock", " provider"];
    private static readonly int _cycleLength = SumLengths(_cycle, _cycle.Length);
    private static readonly byte[][] _cycleUtf8 = Array.ConvertAll(_cycle, Encoding.ASCII.GetBytes);
    private static readonly byte[] _firstPieceUtf8 = Encoding.ASCII.GetBytes(FirstPiece);
    private static readonly string _cachedText = BuildText(CachedTokens);
    private static readonly byte[] _cachedUtf8 = Encoding.ASCII.GetBytes(_cachedText);

    /// <summary>
    /// Completion tokens per choice: <paramref name="requestedByDirective"/> if given, else
    /// <paramref name="maxTokens"/> if given, else <paramref name="defaultTokens"/>; never more than
    /// <paramref name="maxTokens"/> when that is given, never negative.
    /// </summary>
    /// <param name="maxTokens"><c>max_completion_tokens</c> if present, else <c>max_tokens</c>.</param>
    /// <param name="requestedByDirective">The <c>mock.completion_tokens</c> directive.</param>
    /// <param name="defaultTokens"><see cref="MockProviderOptions.DefaultCompletionTokens"/>.</param>
    public static int CompletionTokens(int? maxTokens, int? requestedByDirective, int defaultTokens)
    {
        var tokens = requestedByDirective ?? maxTokens ?? defaultTokens;
        if (maxTokens is int max && tokens > max)
        {
            tokens = max;
        }

        return Math.Max(0, tokens);
    }

    /// <summary>
    /// Whether <see cref="CompletionTokens"/> cut the wanted length down to the max tokens, which the mock
    /// reports as <c>finish_reason: "length"</c> (otherwise <c>"stop"</c>). Only a directive asking for more
    /// than the max can be cut: without one the mock wants exactly the max.
    /// </summary>
    public static bool IsCappedByMaxTokens(int? maxTokens, int? requestedByDirective) =>
        maxTokens is int max && requestedByDirective is int wanted && wanted > max;

    /// <summary>Text that o200k_base counts as exactly <paramref name="tokens"/> tokens (empty for 0).</summary>
    public static string CompletionText(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return tokens <= CachedTokens ? _cachedText[..TextLength(tokens)] : BuildText(tokens);
    }

    /// <summary>
    /// <see cref="CompletionText"/> split into <paramref name="tokens"/> pieces of exactly one token each:
    /// "Hello", then " world", " from", " the", " mock", " provider" repeating.
    /// </summary>
    public static IEnumerable<string> CompletionPieces(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return Pieces(tokens);
    }

    /// <summary>UTF-8 of <see cref="CompletionText"/>, sliced from a shared buffer when small enough.</summary>
    internal static ReadOnlySpan<byte> CompletionUtf8(int tokens) =>
        tokens <= CachedTokens
            ? _cachedUtf8.AsSpan(0, TextLength(tokens))
            : Encoding.ASCII.GetBytes(BuildText(tokens));

    /// <summary>UTF-8 of the piece at <paramref name="index"/> (0-based) of <see cref="CompletionPieces"/>.</summary>
    internal static ReadOnlySpan<byte> PieceUtf8(int index) =>
        index == 0 ? _firstPieceUtf8 : _cycleUtf8[(index - 1) % _cycleUtf8.Length];

    private static IEnumerable<string> Pieces(int tokens)
    {
        for (var i = 0; i < tokens; i++)
        {
            yield return i == 0 ? FirstPiece : _cycle[(i - 1) % _cycle.Length];
        }
    }

    private static int TextLength(int tokens)
    {
        if (tokens == 0)
        {
            return 0;
        }

        var afterFirst = tokens - 1;
        return FirstPiece.Length
            + (afterFirst / _cycle.Length * _cycleLength)
            + SumLengths(_cycle, afterFirst % _cycle.Length);
    }

    private static int SumLengths(string[] pieces, int count)
    {
        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += pieces[i].Length;
        }

        return sum;
    }

    private static string BuildText(int tokens) =>
        string.Create(TextLength(tokens), tokens, static (span, count) =>
        {
            var position = 0;
            foreach (var piece in Pieces(count))
            {
                piece.CopyTo(span[position..]);
                position += piece.Length;
            }
        });
}
