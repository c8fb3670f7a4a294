using System.Buffers.Binary;
using System.Text;

namespace Gateway.Grains.Caching;

/// <summary>
/// One stored answer of a tenant's response cache: the completion as a non-streamed request got it (its <c>model</c> the
/// catalog id of the model that served), what it used, and until when it may serve. Encoded compactly for the stores.
/// </summary>
public sealed record CachedCompletion(string ModelId, string? Provider, long InputTokens, long OutputTokens, byte[] Body, DateTimeOffset ExpiresAt)
{
    private const byte Version = 1;

    public byte[] Encode()
    {
        var model = Encoding.UTF8.GetBytes(ModelId);
        var provider = Encoding.UTF8.GetBytes(Provider ?? "");
        var buffer = new byte[1 + 8 + 8 + 8 + 4 + model.Length + 4 + provider.Length + Body.Length];
        var span = buffer.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], ExpiresAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64LittleEndian(span[9..], InputTokens);
        BinaryPrimitives.WriteInt64LittleEndian(span[17..], OutputTokens);
        var at = 25;
        at = WriteBytes(span, at, model);
        at = WriteBytes(span, at, provider);
        Body.CopyTo(span[at..]);
        return buffer;
    }

    /// <summary>The entry, or null when the bytes are not one (another version, truncated): a miss, never an error.</summary>
    public static CachedCompletion? Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 33 || bytes[0] != Version)
        {
            return null;
        }

        var expires = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(bytes[1..]));
        var input = BinaryPrimitives.ReadInt64LittleEndian(bytes[9..]);
        var output = BinaryPrimitives.ReadInt64LittleEndian(bytes[17..]);
        var at = 25;
        if (!TryReadBytes(bytes, ref at, out var model) || !TryReadBytes(bytes, ref at, out var provider))
        {
            return null;
        }

        return new CachedCompletion(Encoding.UTF8.GetString(model), provider.Length == 0 ? null : Encoding.UTF8.GetString(provider),
            input, output, bytes[at..].ToArray(), expires);
    }

    private static int WriteBytes(Span<byte> span, int at, byte[] value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], value.Length);
        value.CopyTo(span[(at + 4)..]);
        return at + 4 + value.Length;
    }

    private static bool TryReadBytes(ReadOnlySpan<byte> bytes, ref int at, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (bytes.Length - at < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
        if (length < 0 || bytes.Length - at - 4 < length)
        {
            return false;
        }

        value = bytes.Slice(at + 4, length);
        at += 4 + length;
        return true;
    }
}
