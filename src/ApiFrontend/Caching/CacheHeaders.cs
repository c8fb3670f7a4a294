using System.Globalization;
using Gateway.ApiFrontend.Errors;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.ApiFrontend.Caching;

/// <summary>
/// What a request says about the response cache: <c>x-gateway-cache: no-cache</c> (do not answer from the cache, but
/// store the answer), <c>no-store</c> (neither), and <c>x-gateway-cache-ttl: &lt;seconds&gt;</c> (how long to keep the
/// answer). The response says <c>x-gateway-cache: HIT | MISS | BYPASS</c>.
/// </summary>
public readonly record struct CacheHeaders(bool NoCache, bool NoStore, int? TtlSeconds)
{
    public const string Name = "x-gateway-cache";
    public const string TtlName = "x-gateway-cache-ttl";
    public const string Hit = "HIT";
    public const string Miss = "MISS";
    public const string Bypass = "BYPASS";

    public static bool TryRead(HttpRequest request, out CacheHeaders headers, out OpenAiError? error)
    {
        headers = default;
        error = null;
        var (noCache, noStore) = (false, false);
        if (request.Headers.TryGetValue(Name, out var directives))
        {
            foreach (var directive in directives.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
            {
                switch (directive.ToLowerInvariant())
                {
                    case "no-cache":
                        noCache = true;
                        break;
                    case "no-store":
                        noStore = true;
                        break;
                    default:
                        error = OpenAiError.InvalidRequest($"The '{Name}' header takes 'no-cache' or 'no-store'.", Name);
                        return false;
                }
            }
        }

        int? ttl = null;
        if (request.Headers.TryGetValue(TtlName, out var ttlValues))
        {
            if (ttlValues.Count != 1 || !int.TryParse(ttlValues[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                || seconds is < 1 or > TenantCacheSettings.MaxTtlSeconds)
            {
                error = OpenAiError.InvalidRequest($"The '{TtlName}' header takes a whole number of seconds from 1 to {TenantCacheSettings.MaxTtlSeconds}.", TtlName);
                return false;
            }

            ttl = seconds;
        }

        headers = new CacheHeaders(noCache, noStore, ttl);
        return true;
    }
}
