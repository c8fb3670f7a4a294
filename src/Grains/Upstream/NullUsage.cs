namespace Gateway.Grains.Upstream;

/// <summary>
/// Removes the <c>"usage":null</c> member a provider puts in every stream chunk when asked for usage. The gateway
/// always asks (it needs the final usage to charge); a client that did not ask gets chunks as the provider would
/// have sent them to it, without the member.
/// </summary>
internal static class NullUsage
{
    private static readonly byte[] Trailing = ",\"usage\":null"u8.ToArray();
    private static readonly byte[] Leading = "\"usage\":null,"u8.ToArray();

    public static byte[] Remove(byte[] chunk)
    {
        var span = chunk.AsSpan();
        var at = span.IndexOf(Trailing);
        var length = Trailing.Length;
        if (at < 0)
        {
            at = span.IndexOf(Leading);
            length = Leading.Length;
            if (at < 0)
            {
                return chunk;
            }
        }

        var result = new byte[chunk.Length - length];
        span[..at].CopyTo(result);
        span[(at + length)..].CopyTo(result.AsSpan(at));
        return result;
    }
}
