using System.Buffers;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Reads a provider's response body up to a bound, restarting the idle timeout at every read, so that neither a huge
/// body nor a trickling one holds the call beyond what its limits allow.
/// </summary>
internal static class UpstreamBody
{
    /// <summary>
    /// Reads a body of at most <paramref name="max"/> bytes, restarting the idle timer at every read; null when it is
    /// larger (or, with <paramref name="truncate"/>, the first <paramref name="max"/> bytes).
    /// </summary>
    /// <remarks>
    /// Read into pooled buffers (its Content-Length and a byte to tell the end, or 16 KiB, doubling while the body grows),
    /// so that a call allocates the body it returns and nothing else: a fresh buffer per call was 16 to 48 KiB, two fifths
    /// of everything a busy gateway allocated, and each collection it forced paused every request in flight.
    /// </remarks>
    public static async Task<byte[]?> ReadAsync(HttpContent content, long max, UpstreamTimeouts timeouts, bool truncate)
    {
        var length = content.Headers.ContentLength;
        if (!truncate && length > max)
        {
            return null;
        }

        // One byte beyond the bound, so that a body longer than it is seen to be.
        var capacity = Math.Min(max + 1, Array.MaxLength);
        await using var stream = await content.ReadAsStreamAsync(timeouts.Token);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(capacity, length is { } known ? known + 1 : 16 * 1024));
        var written = 0;
        try
        {
            while (true)
            {
                if (written == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(capacity, 2L * buffer.Length));
                    buffer.AsSpan(0, written).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(written), timeouts.Token);
                if (read == 0)
                {
                    return buffer.AsSpan(0, written).ToArray();
                }

                timeouts.Touch();
                written += read;
                if (written > max)
                {
                    return truncate ? buffer.AsSpan(0, (int)max).ToArray() : null;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
