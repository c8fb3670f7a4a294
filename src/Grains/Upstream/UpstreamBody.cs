using Gateway.Catalog.Buffers;

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
    /// Read into a <see cref="PooledBufferWriter"/> (its Content-Length and a byte to tell the end, or 16 KiB, doubling while
    /// the body grows), so that a call allocates the body it returns and nothing else: a fresh buffer per call was 16 to 48
    /// KiB, two fifths of everything a busy gateway allocated, and each collection it forced paused every request in flight.
    /// </remarks>
    public static async Task<byte[]?> ReadAsync(HttpContent content, long max, UpstreamTimeouts timeouts, bool truncate)
    {
        var length = content.Headers.ContentLength;
        if (!truncate && length > max)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(timeouts.Token);

        // One byte beyond the bound, so that a body longer than it is seen to be.
        using var buffer = new PooledBufferWriter((int)Math.Min(Math.Min(max + 1, Array.MaxLength), length is { } known ? known + 1 : 16 * 1024));
        while (true)
        {
            var read = await stream.ReadAsync(buffer.GetMemory(), timeouts.Token);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            timeouts.Touch();
            buffer.Advance(read);
            if (buffer.WrittenCount > max)
            {
                return truncate ? buffer.WrittenSpan[..(int)max].ToArray() : null;
            }
        }
    }
}
