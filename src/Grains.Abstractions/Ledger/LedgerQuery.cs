namespace Gateway.Grains.Abstractions.Ledger;

/// <summary>Which of a tenant's ledger entries to read: recorded in [From, To), after sequence number After.</summary>
[GenerateSerializer, Immutable, Alias("gw.LedgerQuery")]
public sealed record LedgerQuery(
    [property: Id(0)] DateTimeOffset? From,
    [property: Id(1)] DateTimeOffset? To,
    [property: Id(2)] long After,
    [property: Id(3)] int Limit);
