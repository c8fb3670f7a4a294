using System.Buffers.Binary;
using System.Text;
using Gateway.Grains.Upstream;

namespace Gateway.Grains.Caching;

/// <summary>
/// One stored answer of a tenant's response cache: the completion as a non-streamed request got it (its <c>model</c> the
/// catalog id of the model that served), what it used, split as it was priced (so a hit is charged with the same split),
/// and until when it may serve. <see cref="Native"/>: the body is a provider's own answer in the client's dialect (an
/// Anthropic message for a Messages client served natively), not an OpenAI completion. Encoded compactly for the stores.
/// </summary>
public sealed record CachedCompletion(string ModelId, string? Provider, CompletionUsage.Figures Usage, byte[] Body, DateTimeOffset ExpiresAt, bool Native = false)
{
    // Version 1 held only input and output, version 2 no dialect: both read as a miss, so no hit is priced without its
    // cache split or served in a dialect it was not written in.
    private const byte Version = 3;
    private const int Counts = 6;
    private const int Header = 1 + 8 + Counts * 8 + 1;

    public byte[] Encode()
    {
        var model = Encoding.UTF8.GetBytes(ModelId);
        var provider = Encoding.UTF8.GetBytes(Provider ?? "");
        var buffer = new byte[Header + 4 + model.Length + 4 + provider.Length + Body.Length];
        var span = buffer.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], ExpiresAt.ToUnixTimeMilliseconds());
        ReadOnlySpan<long> counts = [Usage.Input, Usage.Output, Usage.CachedInput, Usage.CacheWrite, Usage.CacheWrite1h, Usage.Reasoning];
        for (var i = 0; i < Counts; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[(9 + i * 8)..], counts[i]);
        }

        span[Header - 1] = Native ? (byte)1 : (byte)0;
        var at = Header;
        at = WriteBytes(span, at, model);
        at = WriteBytes(span, at, provider);
        Body.CopyTo(span[at..]);
        return buffer;
    }

    /// <summary>The entry, or null when the bytes are not one (another version, truncated): a miss, never an error.</summary>
    public static CachedCompletion? Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Header + 8 || bytes[0] != Version)
        {
            return null;
        }

        var expires = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(bytes[1..]));
        Span<long> counts = stackalloc long[Counts];
        for (var i = 0; i < Counts; i++)
        {
            counts[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(9 + i * 8)..]);
        }

        var at = Header;
        if (!TryReadBytes(bytes, ref at, out var model) || !TryReadBytes(bytes, ref at, out var provider))
        {
            return null;
        }

        var usage = new CompletionUsage.Figures(counts[0], counts[1], Counted: false, counts[2], counts[3], counts[4], counts[5]);
        return new CachedCompletion(Encoding.UTF8.GetString(model), provider.Length == 0 ? null : Encoding.UTF8.GetString(provider),
            usage, bytes[at..].ToArray(), expires, Native: bytes[Header - 1] == 1);
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
