namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// Settled usage of one model in the month; the tokens count as in <see cref="UsageReport"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.ModelUsage")]
public sealed record ModelUsage(
    [property: Id(0)] string Model,
    [property: Id(1)] long Requests,
    [property: Id(2)] long InputTokens,
    [property: Id(3)] long OutputTokens,
    [property: Id(4)] decimal CostUsd,
    [property: Id(5)] long CachedInputTokens = 0,
    [property: Id(6)] long CacheWriteTokens = 0,
    [property: Id(7)] long CacheWrite1hTokens = 0,
    [property: Id(8)] long ReasoningTokens = 0);
