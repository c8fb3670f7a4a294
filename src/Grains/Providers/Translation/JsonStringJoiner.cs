using System.Buffers;
using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// Joins JSON string values without decoding them: the escaped bodies of JSON strings, put one after another between
/// two quotes, are the escaped body of the joined string. Used to join text blocks and streamed thinking.
/// </summary>
internal sealed class JsonStringJoiner
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public bool IsEmpty => _buffer.WrittenCount == 0;

    /// <summary>Appends a JSON string token as it is in the JSON, quotes included.</summary>
    public void AppendQuoted(ReadOnlySpan<byte> quoted) => _buffer.Write(quoted[1..^1]);

    public void Clear() => _buffer.ResetWrittenCount();

    /// <summary>Writes the joined string as the value of the writer's current property or array slot.</summary>
    public void WriteValue(Utf8JsonWriter writer)
    {
        var body = _buffer.WrittenSpan;
        var rented = ArrayPool<byte>.Shared.Rent(body.Length + 2);
        try
        {
            rented[0] = (byte)'"';
            body.CopyTo(rented.AsSpan(1));
            rented[body.Length + 1] = (byte)'"';
            writer.WriteRawValue(rented.AsSpan(0, body.Length + 2), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
