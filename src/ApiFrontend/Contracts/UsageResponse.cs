using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// A tenant's usage in the current calendar month (UTC); money in exact decimal US dollars. Answers from the response
/// cache count as requests and cost (what a hit is charged) but not as tokens: <c>cacheHits</c> and
/// <c>cacheSavedTokens</c> (the tokens the provider did not have to produce) report them.
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
    long CacheSavedTokens)
{
    public static UsageResponse From(UsageReport usage) => new(
        usage.Period, usage.Requests, usage.InputTokens, usage.OutputTokens, usage.CostUsd,
        usage.MonthlyBudgetUsd, usage.RemainingBudgetUsd, usage.MonthlyTokenQuota, usage.RemainingTokens,
        usage.ByModel.Select(m => new ModelUsageResponse(m.Model, m.Requests, m.InputTokens, m.OutputTokens, m.CostUsd)).ToArray(),
        usage.ByDay.Select(d => new DailyUsageResponse(d.Day, d.Model, d.Requests, d.InputTokens, d.OutputTokens, d.CostUsd)).ToArray(),
        usage.InFlight, usage.ReservedTokens, usage.ReservedUsd, usage.CacheHits, usage.CacheSavedTokens);
}

public sealed record ModelUsageResponse(string Model, long Requests, long InputTokens, long OutputTokens, decimal CostUsd);

public sealed record DailyUsageResponse(DateOnly Date, string Model, long Requests, long InputTokens, long OutputTokens, decimal CostUsd);
