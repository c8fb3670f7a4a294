using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// Joins JSON string values without decoding them: the escaped bodies of JSON strings, put one after another between
/// two quotes, are the escaped body of the joined string. Used to join text blocks, streamed thinking and what a
/// translated stream generated.
/// </summary>
internal sealed class JsonStringJoiner
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public bool IsEmpty => _buffer.WrittenCount == 0;

    /// <summary>Appends a JSON string token as it is in the JSON, quotes included.</summary>
    public void AppendQuoted(ReadOnlySpan<byte> quoted) => _buffer.Write(quoted[1..^1]);

    /// <summary>Appends text, escaped.</summary>
    public void AppendText(string text) => _buffer.Write(JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes);

    /// <summary>Appends UTF-8 text, escaped.</summary>
    public void AppendText(ReadOnlySpan<byte> utf8) => _buffer.Write(JsonEncodedText.Encode(utf8, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes);

    public void Clear() => _buffer.ResetWrittenCount();

    /// <summary>
    /// The joined string, unescaped. A surrogate pair split across two pieces joins again; a lone one (a string no .NET
    /// text can hold) leaves the text escaped, which is still about as many tokens.
    /// </summary>
    public string Decode()
    {
        var body = _buffer.WrittenSpan;
        if (body.IsEmpty)
        {
            return "";
        }

        var quoted = RentQuoted();
        try
        {
            var reader = new Utf8JsonReader(quoted.AsSpan(0, body.Length + 2));
            reader.Read();
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetString(body);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(quoted);
        }
    }

    /// <summary>Writes the joined string as the value of the writer's current property or array slot.</summary>
    public void WriteValue(Utf8JsonWriter writer)
    {
        var quoted = RentQuoted();
        try
        {
            writer.WriteRawValue(quoted.AsSpan(0, _buffer.WrittenCount + 2), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(quoted);
        }
    }

    /// <summary>The joined string as a JSON string token, in a rented array of at least its length plus two.</summary>
    private byte[] RentQuoted()
    {
        var body = _buffer.WrittenSpan;
        var rented = ArrayPool<byte>.Shared.Rent(body.Length + 2);
        rented[0] = (byte)'"';
        body.CopyTo(rented.AsSpan(1));
        rented[body.Length + 1] = (byte)'"';
        return rented;
    }
}
