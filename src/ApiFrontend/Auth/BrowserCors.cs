using Gateway.ApiFrontend.Caching;
using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Gateway.ApiFrontend.Auth;

/// <summary>
/// CORS for browser clients of the tenant API (<c>/v1</c>; never the admin API). A preflight carries no key, so it cannot
/// tell whose page asks: it is answered for any origin, with the headers a client sends (<c>authorization</c>,
/// <c>x-api-key</c>, <c>anthropic-version</c>, <c>content-type</c> and the cache headers). The request that follows carries
/// its key, and <see cref="TenantKeyFilter"/> refuses it (403, nothing charged) unless its origin is in the key's tenant's
/// <c>allowedOrigins</c>.
/// </summary>
public static class BrowserCors
{
    public const string Policy = "tenant-browsers";

    public static void Configure(CorsOptions options) => options.AddPolicy(Policy, policy => policy
        .SetIsOriginAllowed(static _ => true)
        .WithMethods("GET", "POST")
        .WithHeaders("authorization", "x-api-key", "anthropic-version", "content-type", CacheHeaders.Name, CacheHeaders.TtlName)
        .WithExposedHeaders("x-request-id", CacheHeaders.Name, "retry-after",
            "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
            "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens")
        .SetPreflightMaxAge(TimeSpan.FromMinutes(10)));
}
