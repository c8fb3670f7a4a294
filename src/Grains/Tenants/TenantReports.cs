using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>
/// What a tenant answers about itself, read from its account without changing it: the admin view, the month's usage,
/// the rate-limit headers and the answer to an admission. Limits are passed in, computed once by the caller's turn.
/// </summary>
internal static class TenantReports
{
    /// <summary>The admin view; <paramref name="limits"/> null (tier not configured) shows that nothing is allowed.</summary>
    public static TenantView View(string tenantId, TenantAccount account, EffectiveLimits? limits, DateTimeOffset now)
    {
        var shown = limits ?? LimitsInForce.Nothing(account.Config!);
        return new(tenantId,
            account.Config!,
            shown,
            account.State.Keys.Select(KeyInfo).ToArray(),
            Usage(account, shown, now),
            account.State.CreatedAt);
    }

    /// <summary>The usage of the month of <paramref name="now"/>, what is left of its quota and budget, and what is reserved.</summary>
    public static UsageReport Usage(TenantAccount account, EffectiveLimits? limits, DateTimeOffset now)
    {
        limits ??= LimitsInForce.Nothing(account.Config!);
        var month = account.Usage.MonthAt(now);
        var reservations = account.Reservations;
        return new UsageReport(
            UsageBook.PeriodOf(now),
            month.Requests,
            month.InputTokens,
            month.OutputTokens,
            month.CostUsd,
            limits.MonthlyBudgetUsd,
            limits.MonthlyBudgetUsd is { } budget ? Math.Max(0m, budget - month.CostUsd) : null,
            limits.MonthlyTokenQuota,
            limits.MonthlyTokenQuota is { } quota ? Math.Max(0L, quota - month.TotalTokens) : null,
            account.Usage.ByModelAt(now),
            account.Usage.ByDayAt(now),
            reservations.Count,
            reservations.Tokens,
            reservations.CostUsd,
            month.CacheHits,
            month.CacheSavedTokens,
            month.CachedInputTokens,
            month.CacheWriteTokens,
            month.CacheWrite1hTokens,
            month.ReasoningTokens);
    }

    /// <summary>The buckets as the <c>x-ratelimit-*</c> headers report them.</summary>
    public static RateLimitStatus RateLimits(TenantAccount account, DateTimeOffset now)
    {
        var requests = account.RequestBucket;
        var tokens = account.TokenBucket;
        return new RateLimitStatus(
            requests.Capacity, requests.Available(now), requests.TimeUntilFull(now),
            tokens.Capacity, tokens.Available(now), tokens.TimeUntilFull(now));
    }

    /// <summary>
    /// The answer to an admission, once its decision is applied: the buckets as they are now and, when admitted, the
    /// chain and worst case the reservation covers, the tenant's response cache when it has one enabled, and its weight in
    /// a full deployment's fair queue.
    /// </summary>
    public static AdmissionResult Admission(AdmissionDecision decision, TenantAccount account, EffectiveLimits limits, DateTimeOffset now)
    {
        var result = new AdmissionResult(decision.Outcome, RateLimits(account, now), decision.RetryAfter);
        return decision is { IsAdmitted: true, Plan: { } plan }
            ? result with
            {
                Chain = plan.Chain,
                OutputCaps = plan.OutputCaps,
                ReservedTokens = decision.WorstCaseTokens,
                Cache = account.Config!.Cache is { Enabled: true } cache ? cache : null,
                FairShareWeight = limits.FairShareWeight,
            }
            : result;
    }

    public static ApiKeyInfo KeyInfo(ApiKeyEntry entry) => new(entry.Id, entry.CreatedAt, entry.RevokedAt);
}
