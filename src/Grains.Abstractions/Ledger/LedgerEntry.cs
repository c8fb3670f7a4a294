namespace Gateway.Grains.Abstractions.Ledger;

/// <summary>
/// One settled request as the usage ledger records it. <see cref="Seq"/> orders a tenant's entries. <see cref="Model"/>
/// is the model that served and was charged; <see cref="RequestedModel"/> the one the client asked for when a fallback
/// served instead (else null); <see cref="UsageCounted"/>: the provider reported no usage and the gateway's own count
/// was charged. <see cref="InputTokens"/> includes <see cref="CachedInputTokens"/> and <see cref="CacheWriteTokens"/> (of which
/// <see cref="CacheWrite1hTokens"/> were kept an hour), which were priced apart; <see cref="OutputTokens"/> includes
/// <see cref="ReasoningTokens"/>, priced as output. With the model's prices these recompute <see cref="CostUsd"/>.
/// <see cref="QueueWaitMs"/>: milliseconds it waited in a full deployment's queue (0: none).
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.LedgerEntry")]
public sealed record LedgerEntry(
    [property: Id(0)] string TenantId,
    [property: Id(1)] long Seq,
    [property: Id(2)] string RequestId,
    [property: Id(3)] DateTimeOffset RecordedAt,
    [property: Id(4)] string Model,
    [property: Id(5)] string Provider,
    [property: Id(6)] long InputTokens,
    [property: Id(7)] long OutputTokens,
    [property: Id(8)] decimal CostUsd,
    [property: Id(9)] string Outcome,
    [property: Id(10)] string? RequestedModel = null,
    [property: Id(11)] int Attempts = 1,
    [property: Id(12)] bool UsageCounted = false,
    [property: Id(13)] long CachedInputTokens = 0,
    [property: Id(14)] long CacheWriteTokens = 0,
    [property: Id(15)] long CacheWrite1hTokens = 0,
    [property: Id(16)] long ReasoningTokens = 0,
    [property: Id(17)] long QueueWaitMs = 0);
