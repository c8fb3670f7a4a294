using Gateway.Grains.Abstractions.Ledger;

namespace Gateway.Grains.Ledger;

internal static class LedgerPages
{
    /// <summary>A page from up to <c>limit + 1</c> entries read: the extra one only says that more follow.</summary>
    public static LedgerPage Of(IReadOnlyList<LedgerEntry> entries, int limit) =>
        entries.Count > limit
            ? new LedgerPage(entries.Take(limit).ToArray(), entries[limit - 1].Seq)
            : new LedgerPage(entries, null);
}
