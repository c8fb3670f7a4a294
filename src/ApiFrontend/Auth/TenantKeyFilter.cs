using Gateway.ApiFrontend.Cluster;
using Gateway.ApiFrontend.Errors;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Hosting;

namespace Gateway.ApiFrontend.Auth;

/// <summary>Admits only requests with a live tenant key (Bearer or <c>x-api-key</c>); 401 in OpenAI's shape otherwise.</summary>
internal sealed class TenantKeyFilter(KeyResolver keys, GrainReferences references, IdempotentCalls idempotent) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var presented = BearerToken.From(http.Request);
        if (presented.IsEmpty)
        {
            return new OpenAiError(StatusCodes.Status401Unauthorized,
                "You didn't provide an API key. Provide it in the Authorization header as 'Bearer YOUR_KEY'.",
                "invalid_request_error", code: "missing_api_key");
        }

        var identity = await keys.ResolveAsync(presented.ToString().AsMemory());
        if (identity is null)
        {
            // The key itself is never echoed: it may be a real key of another system.
            return new OpenAiError(StatusCodes.Status401Unauthorized,
                "Incorrect API key provided, or the key was revoked.", "invalid_request_error", code: "invalid_api_key");
        }

        // A browser page (it sends its origin) may use the key only from an origin its tenant allows.
        if (http.Request.Headers.Origin is [{ } origin] && !await IsAllowedAsync(identity.TenantId, origin, http.RequestAborted))
        {
            return new OpenAiError(StatusCodes.Status403Forbidden,
                "Requests from this origin are not allowed with this API key (the tenant's allowedOrigins).", "invalid_request_error", code: "origin_not_allowed");
        }

        identity.AttachTo(http);
        return await next(context);
    }

    private async Task<bool> IsAllowedAsync(string tenantId, string origin, CancellationToken cancellationToken) =>
        BrowserOrigin.Normalize(origin) is { } normalized
        && await idempotent.RetryAsync(() => references.Get<ITenantGrain>(tenantId).IsOriginAllowedAsync(normalized), cancellationToken);
}
