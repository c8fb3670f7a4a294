using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>A tenant as the admin API returns it. Limits and quota are the ones in force; <c>overrides</c> says which were set for this tenant.</summary>
public sealed record TenantResponse(
    string Id,
    string Tier,
    IReadOnlyList<string>? AllowedModels,
    decimal? MonthlyBudgetUsd,
    long? MonthlyTokenQuota,
    LimitsResponse Limits,
    int FairShareWeight,
    TenantOverridesResponse Overrides,
    DateTimeOffset CreatedAt,
    IReadOnlyList<ApiKeyResponse> Keys,
    UsageResponse Usage,
    CacheSettingsResponse? Cache,
    IReadOnlyList<string>? AllowedOrigins)
{
    public static TenantResponse From(TenantView view) => new(
        view.Id,
        view.Config.Tier,
        view.Config.AllowedModels,
        view.Effective.MonthlyBudgetUsd,
        view.Effective.MonthlyTokenQuota,
        new LimitsResponse(view.Effective.RequestsPerMinute, view.Effective.TokensPerMinute, view.Effective.MaxConcurrent),
        view.Effective.FairShareWeight,
        new TenantOverridesResponse(view.Config.MonthlyTokenQuota, view.Config.Limits.RequestsPerMinute, view.Config.Limits.TokensPerMinute, view.Config.Limits.MaxConcurrent, view.Config.FairShareWeight),
        view.CreatedAt,
        view.Keys.Select(k => new ApiKeyResponse(k.Id, k.CreatedAt, k.RevokedAt)).ToArray(),
        UsageResponse.From(view.Usage),
        view.Config.Cache is { } cache ? new CacheSettingsResponse(cache.Enabled, cache.TtlSeconds, cache.MaxEntries, cache.DeterministicOnly, cache.HitCostFraction) : null,
        view.Config.AllowedOrigins);
}

/// <summary>The tenant's response cache settings; null when it has none.</summary>
public sealed record CacheSettingsResponse(bool Enabled, int TtlSeconds, int MaxEntries, bool DeterministicOnly, decimal HitCostFraction);

public sealed record LimitsResponse(int RequestsPerMinute, long TokensPerMinute, int MaxConcurrent);

public sealed record TenantOverridesResponse(long? MonthlyTokenQuota, int? RequestsPerMinute, long? TokensPerMinute, int? MaxConcurrent, int? FairShareWeight);

public sealed record ApiKeyResponse(string Id, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>Returned once, when a key is created: the only time the key itself is ever shown.</summary>
public sealed record CreatedKeyResponse(string Id, string Key, DateTimeOffset CreatedAt);
