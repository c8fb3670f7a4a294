namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// Settled usage of one model on one day; the tokens count as in <see cref="UsageReport"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.DailyUsage")]
public sealed record DailyUsage(
    [property: Id(0)] DateOnly Day,
    [property: Id(1)] string Model,
    [property: Id(2)] long Requests,
    [property: Id(3)] long InputTokens,
    [property: Id(4)] long OutputTokens,
    [property: Id(5)] decimal CostUsd,
    [property: Id(6)] long CachedInputTokens = 0,
    [property: Id(7)] long CacheWriteTokens = 0,
    [property: Id(8)] long CacheWrite1hTokens = 0,
    [property: Id(9)] long ReasoningTokens = 0);
