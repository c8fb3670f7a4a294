using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// A JSON string token's UTF-8 without its escapes: the token's own bytes when it has none, else a copy in one buffer
/// reused for the whole stream (valid until the next call).
/// </summary>
internal sealed class UnescapedUtf8
{
    private byte[]? _scratch;

    public ReadOnlySpan<byte> Of(ref Utf8JsonReader reader)
    {
        if (!reader.HasValueSequence && !reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (_scratch is null || _scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, 256)];
        }

        var written = reader.CopyString(_scratch);
        return _scratch.AsSpan(0, written);
    }
}
