using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Errors;
using Gateway.Catalog.Models;
using Gateway.Catalog.Tiers;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// Reads the admin API's tenant bodies strictly: unknown fields, wrong types and out-of-range values are 400s
/// naming the field. In a PATCH an absent field is left alone and an explicit null resets it to the default.
/// </summary>
public static partial class TenantRequestParser
{
    private const int MaxRequestsPerMinute = 10_000_000;
    private const long MaxTokensPerMinute = 1_000_000_000;
    private const int MaxConcurrent = 100_000;
    private const decimal MaxBudgetUsd = 1_000_000_000m;

    private static readonly HashSet<string> CreateFields = ["id", "tier", "allowedModels", "monthlyBudgetUsd", "monthlyTokenQuota", "limits", "cache", "allowedOrigins"];
    private static readonly HashSet<string> CacheFields = ["enabled", "ttlSeconds", "maxEntries", "deterministicOnly", "hitCostFraction"];
    private static readonly HashSet<string> LimitFields = ["requestsPerMinute", "tokensPerMinute", "maxConcurrent"];

    // \z, not $: in .NET, $ also matches before a final "\n", which would let "acme\n" through.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z")]
    public static partial Regex TenantIdPattern();

    public static (string Id, TenantConfig Config)? ParseCreate(JsonElement body, ModelCatalog models, TierCatalogOptions tiers, out OpenAiError? error)
    {
        if (!CheckFields(body, CreateFields, "", out error))
        {
            return null;
        }

        if (!body.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || !TenantIdPattern().IsMatch(id.GetString()!))
        {
            error = OpenAiError.InvalidRequest("'id' is required: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.", "id");
            return null;
        }

        if (!body.TryGetProperty("tier", out var tierElement))
        {
            error = OpenAiError.InvalidRequest($"'tier' is required: one of {string.Join(", ", tiers.Names)}.", "tier");
            return null;
        }

        if (ReadTier(tierElement, tiers, out error) is not { } tier
            || !ReadModels(body, models, out var allowed, out error)
            || !ReadDecimal(body, "monthlyBudgetUsd", out var budget, out error)
            || !ReadLong(body, "monthlyTokenQuota", 0, long.MaxValue, out var quota, out error)
            || ReadLimits(body, out error) is not { } limits
            || !ReadCache(body, out var cache, out error)
            || !ReadOrigins(body, out var origins, out error))
        {
            return null;
        }

        var config = new TenantConfig(tier, allowed.Value, budget.Value, quota.Value,
            new TenantLimits((int?)limits.Rpm.Value, limits.Tpm.Value, (int?)limits.Concurrent.Value), cache.Value, origins.Value);
        return (id.GetString()!, config);
    }

    public static TenantPatch? ParsePatch(JsonElement body, ModelCatalog models, TierCatalogOptions tiers, out OpenAiError? error)
    {
        if (!CheckFields(body, CreateFields, "", out error))
        {
            return null;
        }

        if (body.TryGetProperty("id", out _))
        {
            error = OpenAiError.InvalidRequest("'id' cannot be changed.", "id");
            return null;
        }

        string? tier = null;
        if (body.TryGetProperty("tier", out var tierElement) && (tier = ReadTier(tierElement, tiers, out error)) is null)
        {
            return null;
        }

        if (!ReadModels(body, models, out var allowed, out error)
            || !ReadDecimal(body, "monthlyBudgetUsd", out var budget, out error)
            || !ReadLong(body, "monthlyTokenQuota", 0, long.MaxValue, out var quota, out error)
            || ReadLimits(body, out error) is not { } limits
            || !ReadCache(body, out var cache, out error)
            || !ReadOrigins(body, out var origins, out error))
        {
            return null;
        }

        return new TenantPatch(tier, allowed, budget, quota,
            limits.Rpm.IsSet ? Patch<int?>.To((int?)limits.Rpm.Value) : Patch<int?>.Absent,
            limits.Tpm,
            limits.Concurrent.IsSet ? Patch<int?>.To((int?)limits.Concurrent.Value) : Patch<int?>.Absent,
            cache,
            origins);
    }

    private static bool CheckFields(JsonElement body, HashSet<string> known, string prefix, out OpenAiError? error)
    {
        error = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = OpenAiError.InvalidRequest(prefix.Length == 0 ? "The request body must be a JSON object." : $"'{prefix.TrimEnd('.')}' must be an object.", prefix.Length == 0 ? null : prefix.TrimEnd('.'));
            return false;
        }

        foreach (var property in body.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                error = OpenAiError.InvalidRequest($"Unknown field '{prefix}{property.Name}'.", prefix + property.Name);
                return false;
            }
        }

        return true;
    }

    private static string? ReadTier(JsonElement element, TierCatalogOptions tiers, out OpenAiError? error)
    {
        error = null;
        if (element.ValueKind == JsonValueKind.String && element.GetString() is { } name && tiers.TryGet(name, out _))
        {
            return name.ToLowerInvariant();
        }

        error = OpenAiError.InvalidRequest($"'tier' must be one of {string.Join(", ", tiers.Names)}.", "tier");
        return null;
    }

    private static bool ReadModels(JsonElement body, ModelCatalog models, out Patch<IReadOnlyList<string>?> value, out OpenAiError? error)
    {
        value = Patch<IReadOnlyList<string>?>.Absent;
        error = null;
        if (!body.TryGetProperty("allowedModels", out var element))
        {
            return true;
        }

        if (element.ValueKind == JsonValueKind.Null)
        {
            value = Patch<IReadOnlyList<string>?>.To(null);
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            error = OpenAiError.InvalidRequest("'allowedModels' must be an array of model ids, or null for every model.", "allowedModels");
            return false;
        }

        var ids = new List<string>();
        foreach (var model in element.EnumerateArray())
        {
            if (model.ValueKind != JsonValueKind.String || !models.TryResolve(model.GetString()!, out var id, out _))
            {
                error = OpenAiError.InvalidRequest(
                    $"'allowedModels' contains {(model.ValueKind == JsonValueKind.String ? $"'{model.GetString()}', which is not in the model catalog" : "a value that is not a string")}.",
                    "allowedModels");
                return false;
            }

            if (!ids.Contains(id))
            {
                ids.Add(id);
            }
        }

        value = Patch<IReadOnlyList<string>?>.To(ids);
        return true;
    }

    private static bool ReadDecimal(JsonElement body, string name, out Patch<decimal?> value, out OpenAiError? error)
    {
        value = Patch<decimal?>.Absent;
        error = null;
        if (!body.TryGetProperty(name, out var element))
        {
            return true;
        }

        if (element.ValueKind == JsonValueKind.Null)
        {
            value = Patch<decimal?>.To(null);
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDecimal(out var number) || number < 0 || number > MaxBudgetUsd)
        {
            error = OpenAiError.InvalidRequest($"'{name}' must be a number of US dollars between 0 and {MaxBudgetUsd}, or null.", name);
            return false;
        }

        value = Patch<decimal?>.To(number);
        return true;
    }

    private static bool ReadLong(JsonElement body, string name, long min, long max, out Patch<long?> value, out OpenAiError? error, string prefix = "")
    {
        value = Patch<long?>.Absent;
        error = null;
        if (!body.TryGetProperty(name, out var element))
        {
            return true;
        }

        if (element.ValueKind == JsonValueKind.Null)
        {
            value = Patch<long?>.To(null);
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var number) || number < min || number > max)
        {
            error = OpenAiError.InvalidRequest($"'{prefix}{name}' must be an integer between {min} and {max}, or null.", prefix + name);
            return false;
        }

        value = Patch<long?>.To(number);
        return true;
    }

    private static (Patch<long?> Rpm, Patch<long?> Tpm, Patch<long?> Concurrent)? ReadLimits(JsonElement body, out OpenAiError? error)
    {
        error = null;
        if (!body.TryGetProperty("limits", out var limits))
        {
            return (default, default, default);
        }

        if (limits.ValueKind == JsonValueKind.Null)
        {
            // Every limit back to the tier's default.
            return (Patch<long?>.To(null), Patch<long?>.To(null), Patch<long?>.To(null));
        }

        if (!CheckFields(limits, LimitFields, "limits.", out error)
            || !ReadLong(limits, "requestsPerMinute", 1, MaxRequestsPerMinute, out var rpm, out error, "limits.")
            || !ReadLong(limits, "tokensPerMinute", 1, MaxTokensPerMinute, out var tpm, out error, "limits.")
            || !ReadLong(limits, "maxConcurrent", 1, MaxConcurrent, out var concurrent, out error, "limits."))
        {
            return null;
        }

        return (rpm, tpm, concurrent);
    }

    /// <summary>
    /// <c>"cache": {"enabled": true, "ttlSeconds": 300, "maxEntries": 10000, "deterministicOnly": true, "hitCostFraction": 0}</c>
    /// (every member but <c>enabled</c> optional, with those defaults), or null for no cache. A PATCH replaces it whole.
    /// </summary>
    private static bool ReadCache(JsonElement body, out Patch<TenantCacheSettings?> value, out OpenAiError? error)
    {
        value = Patch<TenantCacheSettings?>.Absent;
        error = null;
        if (!body.TryGetProperty("cache", out var cache))
        {
            return true;
        }

        if (cache.ValueKind == JsonValueKind.Null)
        {
            value = Patch<TenantCacheSettings?>.To(null);
            return true;
        }

        if (!CheckFields(cache, CacheFields, "cache.", out error))
        {
            return false;
        }

        if (!cache.TryGetProperty("enabled", out var enabled) || enabled.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            error = OpenAiError.InvalidRequest("'cache.enabled' is required: true or false.", "cache.enabled");
            return false;
        }

        if (!ReadLong(cache, "ttlSeconds", 1, TenantCacheSettings.MaxTtlSeconds, out var ttl, out error, "cache.")
            || !ReadLong(cache, "maxEntries", 1, TenantCacheSettings.MaxMaxEntries, out var entries, out error, "cache."))
        {
            return false;
        }

        var deterministicOnly = true;
        if (cache.TryGetProperty("deterministicOnly", out var deterministic))
        {
            if (deterministic.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                error = OpenAiError.InvalidRequest("'cache.deterministicOnly' must be true (only requests with temperature 0 or a seed are cached) or false (every request).", "cache.deterministicOnly");
                return false;
            }

            deterministicOnly = deterministic.GetBoolean();
        }

        var fraction = 0m;
        if (cache.TryGetProperty("hitCostFraction", out var fractionElement)
            && (fractionElement.ValueKind != JsonValueKind.Number || !fractionElement.TryGetDecimal(out fraction) || fraction is < 0m or > 1m))
        {
            error = OpenAiError.InvalidRequest("'cache.hitCostFraction' must be a number from 0 (a hit is free) to 1 (a hit costs what the stored answer cost).", "cache.hitCostFraction");
            return false;
        }

        value = Patch<TenantCacheSettings?>.To(new TenantCacheSettings(
            enabled.GetBoolean(),
            (int)(ttl.Value ?? TenantCacheSettings.DefaultTtlSeconds),
            (int)(entries.Value ?? TenantCacheSettings.DefaultMaxEntries),
            deterministicOnly,
            fraction));
        return true;
    }

    private const int MaxOrigins = 32;

    /// <summary>
    /// <c>"allowedOrigins": ["https://app.example.com", "http://localhost:3000"]</c>: the browser origins whose pages may use
    /// the tenant's keys, each a scheme (http or https), a host and an optional port, nothing else; null or absent for none.
    /// </summary>
    private static bool ReadOrigins(JsonElement body, out Patch<IReadOnlyList<string>?> value, out OpenAiError? error)
    {
        value = Patch<IReadOnlyList<string>?>.Absent;
        error = null;
        if (!body.TryGetProperty("allowedOrigins", out var element))
        {
            return true;
        }

        if (element.ValueKind == JsonValueKind.Null)
        {
            value = Patch<IReadOnlyList<string>?>.To(null);
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() > MaxOrigins)
        {
            error = OpenAiError.InvalidRequest($"'allowedOrigins' must be an array of at most {MaxOrigins} origins, or null for none.", "allowedOrigins");
            return false;
        }

        var origins = new List<string>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || BrowserOrigin.Normalize(item.GetString()!) is not { } origin)
            {
                error = OpenAiError.InvalidRequest(
                    "'allowedOrigins' holds origins such as 'https://app.example.com' or 'http://localhost:3000': a scheme (http or https), a host and an optional port, no path.",
                    "allowedOrigins");
                return false;
            }

            if (!origins.Contains(origin, StringComparer.Ordinal))
            {
                origins.Add(origin);
            }
        }

        value = Patch<IReadOnlyList<string>?>.To(origins);
        return true;
    }
}
