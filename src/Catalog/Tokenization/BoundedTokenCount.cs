using System.Text;
using Microsoft.ML.Tokenizers;

namespace Gateway.Tokenization;

/// <summary>
/// Counts o200k_base tokens in time linear in the text. Byte-pair encoding is quadratic in the length of one
/// pre-tokenized piece (a run of letters, of punctuation or of whitespace): a megabyte of one repeated letter is one
/// piece and takes minutes. Text is split where the tokenizer's own pre-tokenizer splits it, so runs of ordinary pieces
/// are counted exactly; a piece longer than <see cref="MaxPieceChars"/> is not encoded but counted as its UTF-8 length,
/// an upper bound (every token is at least one byte). Compiled into the gateway and into the mock provider (linked
/// source), so that both count the same.
/// </summary>
internal static class BoundedTokenCount
{
    /// <summary>The longest piece that is encoded; longer ones count as their UTF-8 byte length.</summary>
    public const int MaxPieceChars = 128;

    // Texts are encoded in stretches of about this many characters, each ending at a piece boundary, so that a long
    // prompt can be cancelled and stopped at a cap between two of them.
    private const int StretchChars = 16 * 1024;

    /// <summary>
    /// Tokens of <paramref name="text"/>: exact unless it has a piece over <see cref="MaxPieceChars"/>, then an upper
    /// bound. Counting stops once the total is over <paramref name="cap"/>, and then returns a number over it.
    /// </summary>
    public static long Count(Tokenizer tokenizer, ReadOnlySpan<char> text, long cap = long.MaxValue, CancellationToken cancellationToken = default)
    {
        if (text.IsEmpty)
        {
            return 0;
        }

        if (text.Length <= MaxPieceChars)
        {
            return tokenizer.CountTokens(text);
        }

        long total = 0;
        var start = 0;

        // The whitespace pieces that end the current stretch. The tokenizer splits a run of whitespace by what follows it
        // ("  5" is " " and " 5"): a stretch cut after the run would end with it and take it whole
        // ("  " is one token where the text has two), so those pieces are counted one by one.
        List<(int Offset, int Length)>? trailing = null;
        foreach (var (offset, length) in tokenizer.PreTokenizer!.PreTokenize(text))
        {
            var cut = false;
            if (length > MaxPieceChars)
            {
                total += EncodeStretch(tokenizer, text, start, offset, trailing) + Encoding.UTF8.GetByteCount(text.Slice(offset, length));
                start = offset + length;
                trailing?.Clear();
                cut = true;
            }
            else if (offset + length - start > StretchChars)
            {
                total += EncodeStretch(tokenizer, text, start, offset, trailing);
                start = offset;
                trailing?.Clear();
                cut = true;
            }

            if (length <= MaxPieceChars)
            {
                if (text.Slice(offset, length).IsWhiteSpace())
                {
                    (trailing ??= []).Add((offset, length));
                }
                else
                {
                    trailing?.Clear();
                }
            }

            if (!cut)
            {
                continue;
            }

            if (total > cap)
            {
                return total;
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        return total + Encode(tokenizer, text[start..]);
    }

    /// <summary>
    /// Tokens of the stretch <c>text[start..end]</c>: encoded as one up to its <paramref name="trailing"/> whitespace pieces
    /// (none when null or empty), and those pieces each on its own, as the whole text splits them.
    /// </summary>
    private static long EncodeStretch(Tokenizer tokenizer, ReadOnlySpan<char> text, int start, int end, List<(int Offset, int Length)>? trailing)
    {
        if (trailing is not { Count: > 0 })
        {
            return Encode(tokenizer, text[start..end]);
        }

        long total = Encode(tokenizer, text[start..trailing[0].Offset]);
        foreach (var (offset, length) in trailing)
        {
            total += tokenizer.CountTokens(text.Slice(offset, length));
        }

        return total;
    }

    private static int Encode(Tokenizer tokenizer, ReadOnlySpan<char> stretch) => stretch.IsEmpty ? 0 : tokenizer.CountTokens(stretch);
}
