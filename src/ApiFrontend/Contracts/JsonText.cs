using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// Checks that a JSON body is text before anything reads it: valid UTF-8 (no overlong or truncated sequences, no
/// encoded surrogates) and no <c>\u</c> escape of a lone surrogate. System.Text.Json accepts both when it parses and
/// throws only later, when a string is read or written again (<c>GetString</c>, <c>ValueEquals</c>, <c>WriteTo</c>),
/// which would turn a bad request into a 500 wherever the gateway happens to touch the string first.
/// </summary>
public static class JsonText
{
    /// <summary>Null when the body is acceptable text (well-formed JSON is checked by the parser), else why not.</summary>
    public static string? Problem(ReadOnlySpan<byte> body)
    {
        if (!Utf8.IsValid(body))
        {
            return "The request body is not valid UTF-8.";
        }

        // Only an escape can make a lone surrogate; most bodies have none and skip the walk.
        return body.IndexOf("\\u"u8) < 0 || !HasLoneSurrogateEscape(body) ? null
            : "The request body contains a \\u escape of a lone surrogate, which is not text.";
    }

    private static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped
                    && HasLoneSurrogate(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan))
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // Not well-formed: the parser reports that.
        }

        return false;
    }

    private static bool HasLoneSurrogate(ReadOnlySpan<byte> raw)
    {
        var pendingHigh = false;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                if (pendingHigh)
                {
                    return true;
                }

                continue;
            }

            var escaped = raw[++i];
            if (escaped != (byte)'u')
            {
                if (pendingHigh)
                {
                    return true;
                }

                continue;
            }

            // The reader has checked that four hex digits follow.
            _ = Utf8Parser.TryParse(raw.Slice(i + 1, 4), out ushort unit, out _, 'x');
            i += 4;
            var isHigh = unit is >= 0xD800 and <= 0xDBFF;
            var isLow = unit is >= 0xDC00 and <= 0xDFFF;
            if (pendingHigh != isLow)
            {
                // A low surrogate without a high one before it, or a high one followed by something else.
                return true;
            }

            pendingHigh = isHigh;
        }

        return pendingHigh;
    }
}
