using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// A tenant's usage in the current calendar month (UTC); money in exact decimal US dollars. Answers from the response
/// cache count as requests and cost (what a hit is charged) but not as tokens: <c>cacheHits</c> and
/// <c>cacheSavedTokens</c> (the tokens the provider did not have to produce) report them. <c>inputTokens</c> counts as
/// OpenAI's prompt tokens do: <c>cachedInputTokens</c> (read from the provider's prompt cache) and <c>cacheWriteTokens</c>
/// (written to it; <c>cacheWrite1hTokens</c> of these kept an hour) are part of it, each priced at its own price;
/// <c>reasoningTokens</c> are part of <c>outputTokens</c>, priced as output. The per-model and per-day rows count alike.
/// </summary>
public sealed record UsageResponse(
    string Period,
    long Requests,
    long InputTokens,
    long OutputTokens,
    decimal CostUsd,
    decimal? MonthlyBudgetUsd,
    decimal? RemainingBudgetUsd,
    long? MonthlyTokenQuota,
    long? RemainingTokens,
    IReadOnlyList<ModelUsageResponse> ByModel,
    IReadOnlyList<DailyUsageResponse> ByDay,
    int InFlight,
    long ReservedTokens,
    decimal ReservedUsd,
    long CacheHits,
    long CacheSavedTokens,
    long CachedInputTokens,
    long CacheWriteTokens,
    long CacheWrite1hTokens,
    long ReasoningTokens)
{
    public static UsageResponse From(UsageReport usage) => new(
        usage.Period, usage.Requests, usage.InputTokens, usage.OutputTokens, usage.CostUsd,
        usage.MonthlyBudgetUsd, usage.RemainingBudgetUsd, usage.MonthlyTokenQuota, usage.RemainingTokens,
        usage.ByModel.Select(m => new ModelUsageResponse(m.Model, m.Requests, m.InputTokens, m.OutputTokens, m.CostUsd,
            m.CachedInputTokens, m.CacheWriteTokens, m.CacheWrite1hTokens, m.ReasoningTokens)).ToArray(),
        usage.ByDay.Select(d => new DailyUsageResponse(d.Day, d.Model, d.Requests, d.InputTokens, d.OutputTokens, d.CostUsd,
            d.CachedInputTokens, d.CacheWriteTokens, d.CacheWrite1hTokens, d.ReasoningTokens)).ToArray(),
        usage.InFlight, usage.ReservedTokens, usage.ReservedUsd, usage.CacheHits, usage.CacheSavedTokens,
        usage.CachedInputTokens, usage.CacheWriteTokens, usage.CacheWrite1hTokens, usage.ReasoningTokens);
}

public sealed record ModelUsageResponse(
    string Model, long Requests, long InputTokens, long OutputTokens, decimal CostUsd,
    long CachedInputTokens, long CacheWriteTokens, long CacheWrite1hTokens, long ReasoningTokens);

public sealed record DailyUsageResponse(
    DateOnly Date, string Model, long Requests, long InputTokens, long OutputTokens, decimal CostUsd,
    long CachedInputTokens, long CacheWriteTokens, long CacheWrite1hTokens, long ReasoningTokens);
