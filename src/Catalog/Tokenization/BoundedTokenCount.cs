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
        foreach (var (offset, length) in tokenizer.PreTokenizer!.PreTokenize(text))
        {
            if (length > MaxPieceChars)
            {
                total += Encode(tokenizer, text[start..offset]) + Encoding.UTF8.GetByteCount(text.Slice(offset, length));
                start = offset + length;
            }
            else if (offset + length - start > StretchChars)
            {
                total += Encode(tokenizer, text[start..offset]);
                start = offset;
            }
            else
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

    private static int Encode(Tokenizer tokenizer, ReadOnlySpan<char> stretch) => stretch.IsEmpty ? 0 : tokenizer.CountTokens(stretch);
}
