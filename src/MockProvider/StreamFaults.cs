namespace Gateway.MockProvider;

/// <summary>What a request's fault and <c>cut_after_chunks</c> do to its stream, resolved once; default is a clean stream.</summary>
/// <param name="CutAfterChunks">Content chunks before the connection ends; never followed by <c>[DONE]</c>.</param>
/// <param name="ResetOnCut">Whether that end is a TCP reset rather than an abort.</param>
/// <param name="StallAfterChunks">Content chunks before the stall.</param>
/// <param name="GarbageAfterChunks">Content chunks before the event that is not JSON.</param>
/// <param name="BurstEvents">Events held back to leave in one write, then the stall; 0 for no burst.</param>
/// <param name="Stall">How long a stall lasts; null until the client leaves.</param>
/// <param name="Oversize">Whether each choice's text comes whole in one huge content event.</param>
/// <param name="NoUsage">Whether to leave out every usage member and the usage chunk.</param>
internal readonly record struct StreamFaults(
    int? CutAfterChunks,
    bool ResetOnCut,
    int? StallAfterChunks,
    int? GarbageAfterChunks,
    int BurstEvents,
    TimeSpan? Stall,
    bool Oversize,
    bool NoUsage)
{
    private const int DefaultMarkChunks = 1;
    private const int DefaultBurstEvents = 3;

    public static StreamFaults For(MockFault? fault, int? cutAfterChunks)
    {
        var kind = fault?.Kind ?? MockFaultKind.None;
        return new StreamFaults(
            kind == MockFaultKind.ResetMidBody ? cutAfterChunks ?? DefaultMarkChunks : cutAfterChunks,
            kind == MockFaultKind.ResetMidBody,
            kind == MockFaultKind.StallMidBody ? fault!.StallAfterChunks ?? DefaultMarkChunks : null,
            kind == MockFaultKind.GarbageEvent ? fault!.GarbageAfterChunks ?? DefaultMarkChunks : null,
            kind == MockFaultKind.Burst ? fault!.BurstChunks ?? DefaultBurstEvents : 0,
            fault?.Stall,
            kind == MockFaultKind.OversizeBody,
            kind == MockFaultKind.NoUsage);
    }

    /// <summary>
    /// Whether a fault placed after <paramref name="mark"/> content chunks acts now, with <paramref name="sent"/>
    /// chunks sent; at the <paramref name="end"/> of the content any mark not reached yet acts too.
    /// </summary>
    public static bool IsDue(int? mark, int sent, bool end) => mark is int chunks && (end ? chunks >= sent : chunks == sent);
}
