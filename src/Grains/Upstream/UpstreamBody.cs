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
    public static async Task<byte[]?> ReadAsync(HttpContent content, long max, UpstreamTimeouts timeouts, bool truncate)
    {
        if (!truncate && content.Headers.ContentLength > max)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(timeouts.Token);
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(max, content.Headers.ContentLength ?? 16 * 1024) + 1);
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await stream.ReadAsync(memory, timeouts.Token);
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
