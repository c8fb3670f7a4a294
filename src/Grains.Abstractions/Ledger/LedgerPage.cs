namespace Gateway.Grains.Abstractions.Ledger;

/// <summary>A page of a tenant's ledger; <see cref="NextAfter"/> continues it when more entries may follow.</summary>
[GenerateSerializer, Immutable, Alias("gw.LedgerPage")]
public sealed record LedgerPage(
    [property: Id(0)] IReadOnlyList<LedgerEntry> Entries,
    [property: Id(1)] long? NextAfter);
