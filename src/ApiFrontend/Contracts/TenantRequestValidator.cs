using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Text.RegularExpressions;
using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Errors;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Catalog.Models;
using Gateway.Catalog.Tiers;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// Checks the admin API's tenant bodies once they are bound to <see cref="CreateTenantRequest"/> or
/// <see cref="UpdateTenantRequest"/>: required fields, ranges, tiers and models of the catalogs, browser origins. A field
/// the body could not even be bound at (the wrong JSON type, an unknown name) is answered by <see cref="BindingError"/> with
/// the same message as a value out of range, so that either way the 400 names the field and says what it must be.
/// </summary>
public static partial class TenantRequestValidator
{
    private const int MaxRequestsPerMinute = 10_000_000;
    private const long MaxTokensPerMinute = 1_000_000_000;
    private const int MaxConcurrent = 100_000;
    private const decimal MaxBudgetUsd = 1_000_000_000m;
    private const int MaxOrigins = 32;

    // Weights are relative: 100 is 100 times a bronze tenant's share, far beyond the tiers' 1 to 8, and keeps the fair
    // queue's charge per token (840 units over the weight) from rounding to nothing.
    private const int MaxFairShareWeight = 100;

    // \z, not $: in .NET, $ also matches before a final "\n", which would let "acme\n" through.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z")]
    public static partial Regex TenantIdPattern();

    /// <summary>The new tenant's id and configuration, or the 400 naming the first field in error.</summary>
    public static bool TryCreate(CreateTenantRequest request, ModelCatalog models, TierCatalogOptions tiers,
        out (string Id, TenantConfig Config) tenant, [NotNullWhen(false)] out OpenAiError? error)
    {
        tenant = default;
        if (request.Id.Value is not { } id || !TenantIdPattern().IsMatch(id))
        {
            error = Invalid("id");
            return false;
        }

        if (!request.Tier.IsSet)
        {
            error = OpenAiError.InvalidRequest($"'tier' is required: one of {string.Join(", ", tiers.Names)}.", "tier");
            return false;
        }

        if (Check(request, models, tiers, out var settings) is { } invalid)
        {
            error = invalid;
            return false;
        }

        // Every setting the body left out is its default: absent patches carry null.
        var config = new TenantConfig(settings.Tier!, settings.AllowedModels.Value, settings.MonthlyBudgetUsd.Value, settings.MonthlyTokenQuota.Value,
            new TenantLimits(settings.RequestsPerMinute.Value, settings.TokensPerMinute.Value, settings.MaxConcurrent.Value),
            settings.Cache.Value, settings.AllowedOrigins.Value, settings.FairShareWeight.Value);
        tenant = (id, config);
        error = null;
        return true;
    }

    /// <summary>The change a PATCH asks for, or the 400 naming the first field in error.</summary>
    public static bool TryUpdate(UpdateTenantRequest request, ModelCatalog models, TierCatalogOptions tiers,
        [NotNullWhen(true)] out TenantPatch? patch, [NotNullWhen(false)] out OpenAiError? error)
    {
        error = Check(request, models, tiers, out patch);
        return error is null;
    }

    /// <summary>
    /// The 400 for a body that could not be bound at <paramref name="field"/> (such as <c>limits.requestsPerMinute</c>, or
    /// <c>allowedModels[]</c> for an element): a field of the request types given a value of the wrong JSON type when
    /// <paramref name="known"/>, else a name they do not have.
    /// </summary>
    public static OpenAiError BindingError(string field, bool known, TierCatalogOptions tiers) => (field, known) switch
    {
        (_, true) => Invalid(field, tiers),
        ("id", false) => OpenAiError.InvalidRequest("'id' cannot be changed.", "id"),
        _ => OpenAiError.InvalidRequest($"Unknown field '{field}'.", field),
    };

    /// <summary>The settings of either body, in the order the fields are checked, as a patch (absent: not given).</summary>
    private static OpenAiError? Check(TenantSettingsRequest request, ModelCatalog models, TierCatalogOptions tiers, out TenantPatch patch)
    {
        patch = null!;
        if (request.Tier is { IsSet: true } && (request.Tier.Value is not { } tier || !tiers.TryGet(tier, out _)))
        {
            return Invalid("tier", tiers);
        }

        if (CheckModels(request.AllowedModels, models, out var allowed) is { } modelError)
        {
            return modelError;
        }

        if (!InRange(request.MonthlyBudgetUsd.Value, 0m, MaxBudgetUsd))
        {
            return Invalid("monthlyBudgetUsd");
        }

        if (!InRange(request.MonthlyTokenQuota.Value, 0, long.MaxValue))
        {
            return Invalid("monthlyTokenQuota");
        }

        if (request.Limits.Value is { } limits)
        {
            if (!InRange(limits.RequestsPerMinute.Value, 1, MaxRequestsPerMinute))
            {
                return Invalid("limits.requestsPerMinute");
            }

            if (!InRange(limits.TokensPerMinute.Value, 1, MaxTokensPerMinute))
            {
                return Invalid("limits.tokensPerMinute");
            }

            if (!InRange(limits.MaxConcurrent.Value, 1, MaxConcurrent))
            {
                return Invalid("limits.maxConcurrent");
            }
        }

        if (!InRange(request.FairShareWeight.Value, 1, MaxFairShareWeight))
        {
            return Invalid("fairShareWeight");
        }

        if (CheckCache(request.Cache, out var cache) is { } cacheError)
        {
            return cacheError;
        }

        if (CheckOrigins(request.AllowedOrigins, out var origins) is { } originError)
        {
            return originError;
        }

        var (rpm, tpm, concurrent) = request.Limits switch
        {
            { IsSet: false } => (Patch<int?>.Absent, Patch<long?>.Absent, Patch<int?>.Absent),
            // "limits": null puts every limit back to the tier's.
            { Value: null } => (Patch<int?>.To(null), Patch<long?>.To(null), Patch<int?>.To(null)),
            { Value: { } given } => (ToInt(given.RequestsPerMinute), given.TokensPerMinute.ToPatch(), ToInt(given.MaxConcurrent)),
        };
        patch = new TenantPatch(request.Tier.Value?.ToLowerInvariant(), allowed, request.MonthlyBudgetUsd.ToPatch(), request.MonthlyTokenQuota.ToPatch(),
            rpm, tpm, concurrent, cache, origins, ToInt(request.FairShareWeight));
        return null;
    }

    private static OpenAiError? CheckModels(Optional<IReadOnlyList<string?>?> field, ModelCatalog models, out Patch<IReadOnlyList<string>?> allowed)
    {
        allowed = field.IsSet ? Patch<IReadOnlyList<string>?>.To(null) : Patch<IReadOnlyList<string>?>.Absent;
        if (field.Value is not { } names)
        {
            return null;
        }

        var ids = new List<string>();
        foreach (var name in names)
        {
            if (name is null)
            {
                return Invalid("allowedModels[]");
            }

            if (!models.TryResolve(name, out var id, out _))
            {
                return OpenAiError.InvalidRequest($"'allowedModels' contains '{name}', which is not in the model catalog.", "allowedModels");
            }

            if (!ids.Contains(id))
            {
                ids.Add(id);
            }
        }

        allowed = Patch<IReadOnlyList<string>?>.To(ids);
        return null;
    }

    private static OpenAiError? CheckCache(Optional<TenantCacheRequest?> field, out Patch<TenantCacheSettings?> cache)
    {
        cache = field.IsSet ? Patch<TenantCacheSettings?>.To(null) : Patch<TenantCacheSettings?>.Absent;
        if (field.Value is not { } given)
        {
            return null;
        }

        var fault = given switch
        {
            { Enabled: null } => "cache.enabled",
            _ when !InRange(given.TtlSeconds, 1, TenantCacheSettings.MaxTtlSeconds) => "cache.ttlSeconds",
            _ when !InRange(given.MaxEntries, 1, TenantCacheSettings.MaxMaxEntries) => "cache.maxEntries",
            { DeterministicOnly: { IsSet: true, Value: null } } => "cache.deterministicOnly",
            { HitCostFraction: { IsSet: true, Value: null } } => "cache.hitCostFraction",
            _ when !InRange(given.HitCostFraction.Value, 0m, 1m) => "cache.hitCostFraction",
            _ => null,
        };
        if (fault is not null)
        {
            return Invalid(fault);
        }

        cache = Patch<TenantCacheSettings?>.To(new TenantCacheSettings(
            given.Enabled!.Value,
            (int)(given.TtlSeconds ?? TenantCacheSettings.DefaultTtlSeconds),
            (int)(given.MaxEntries ?? TenantCacheSettings.DefaultMaxEntries),
            given.DeterministicOnly.Value ?? true,
            given.HitCostFraction.Value ?? 0m));
        return null;
    }

    private static OpenAiError? CheckOrigins(Optional<IReadOnlyList<string?>?> field, out Patch<IReadOnlyList<string>?> allowed)
    {
        allowed = field.IsSet ? Patch<IReadOnlyList<string>?>.To(null) : Patch<IReadOnlyList<string>?>.Absent;
        if (field.Value is not { } given)
        {
            return null;
        }

        if (given.Count > MaxOrigins)
        {
            return Invalid("allowedOrigins");
        }

        var origins = new List<string>();
        foreach (var item in given)
        {
            if (item is null || BrowserOrigin.Normalize(item) is not { } origin)
            {
                return Invalid("allowedOrigins[]");
            }

            if (!origins.Contains(origin, StringComparer.Ordinal))
            {
                origins.Add(origin);
            }
        }

        allowed = Patch<IReadOnlyList<string>?>.To(origins);
        return null;
    }

    private static bool InRange<T>(T? value, T min, T max) where T : struct, INumber<T> => value is not { } number || (number >= min && number <= max);

    private static Patch<int?> ToInt(Optional<long?> field) => field.IsSet ? Patch<int?>.To((int?)field.Value) : Patch<int?>.Absent;

    // Only the rule for 'tier' needs the tiers.
    private static OpenAiError Invalid(string field, TierCatalogOptions? tiers = null) =>
        OpenAiError.InvalidRequest(Rule(field, tiers) ?? $"'{field}' is not valid.", field.EndsWith("[]", StringComparison.Ordinal) ? field[..^2] : field);

    /// <summary>What a field must be, by its path (<c>[]</c> for an element of an array); null for a path no request type has.</summary>
    private static string? Rule(string field, TierCatalogOptions? tiers) => field switch
    {
        "id" => "'id' is required: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
        "tier" => $"'tier' must be one of {string.Join(", ", tiers?.Names ?? [])}.",
        "allowedModels" => "'allowedModels' must be an array of model ids, or null for every model.",
        "allowedModels[]" => "'allowedModels' contains a value that is not a string.",
        "monthlyBudgetUsd" => $"'monthlyBudgetUsd' must be a number of US dollars between 0 and {MaxBudgetUsd}, or null.",
        "monthlyTokenQuota" => Integer(field, 0, long.MaxValue),
        "limits" or "cache" => $"'{field}' must be an object.",
        "limits.requestsPerMinute" => Integer(field, 1, MaxRequestsPerMinute),
        "limits.tokensPerMinute" => Integer(field, 1, MaxTokensPerMinute),
        "limits.maxConcurrent" => Integer(field, 1, MaxConcurrent),
        "fairShareWeight" => Integer(field, 1, MaxFairShareWeight),
        "cache.enabled" => "'cache.enabled' is required: true or false.",
        "cache.ttlSeconds" => Integer(field, 1, TenantCacheSettings.MaxTtlSeconds),
        "cache.maxEntries" => Integer(field, 1, TenantCacheSettings.MaxMaxEntries),
        "cache.deterministicOnly" => "'cache.deterministicOnly' must be true (only requests with temperature 0 or a seed are cached) or false (every request).",
        "cache.hitCostFraction" => "'cache.hitCostFraction' must be a number from 0 (a hit is free) to 1 (a hit costs what the stored answer cost).",
        "allowedOrigins" => $"'allowedOrigins' must be an array of at most {MaxOrigins} origins, or null for none.",
        "allowedOrigins[]" => "'allowedOrigins' holds origins such as 'https://app.example.com' or 'http://localhost:3000': a scheme (http or https), a host and an optional port, no path.",
        _ => null,
    };

    private static string Integer(string field, long min, long max) => $"'{field}' must be an integer between {min} and {max}, or null.";
}
