namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// A tenant's usage in one calendar month (UTC). Money in exact decimal US dollars. Requests answered from the response
/// cache count in <see cref="Requests"/> and <see cref="CostUsd"/> (what a hit is charged) but not in the tokens;
/// <see cref="CacheSavedTokens"/> are the tokens they would have taken from the provider. <see cref="InputTokens"/> counts
/// as OpenAI's prompt tokens do: <see cref="CachedInputTokens"/> (read from the provider's prompt cache) and
/// <see cref="CacheWriteTokens"/> (written to it; <see cref="CacheWrite1hTokens"/> of these kept an hour) are part of it,
/// each priced at its own price; <see cref="ReasoningTokens"/> are part of <see cref="OutputTokens"/>, priced as output.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.UsageReport")]
public sealed record UsageReport(
    [property: Id(0)] string Period,
    [property: Id(1)] long Requests,
    [property: Id(2)] long InputTokens,
    [property: Id(3)] long OutputTokens,
    [property: Id(4)] decimal CostUsd,
    [property: Id(5)] decimal? MonthlyBudgetUsd,
    [property: Id(6)] decimal? RemainingBudgetUsd,
    [property: Id(7)] long? MonthlyTokenQuota,
    [property: Id(8)] long? RemainingTokens,
    [property: Id(9)] IReadOnlyList<ModelUsage> ByModel,
    [property: Id(10)] IReadOnlyList<DailyUsage> ByDay,
    [property: Id(11)] int InFlight,
    [property: Id(12)] long ReservedTokens,
    [property: Id(13)] decimal ReservedUsd,
    [property: Id(14)] long CacheHits = 0,
    [property: Id(15)] long CacheSavedTokens = 0,
    [property: Id(16)] long CachedInputTokens = 0,
    [property: Id(17)] long CacheWriteTokens = 0,
    [property: Id(18)] long CacheWrite1hTokens = 0,
    [property: Id(19)] long ReasoningTokens = 0);
