using Gateway.ApiFrontend.Errors;
using Gateway.Grains.Hosting;

namespace Gateway.ApiFrontend.Auth;

/// <summary>Admits only requests with a live tenant key (Bearer or <c>x-api-key</c>); 401 in OpenAI's shape otherwise.</summary>
internal sealed class TenantKeyFilter(KeyResolver keys) : IEndpointFilter
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

        identity.AttachTo(http);
        return await next(context);
    }
}
