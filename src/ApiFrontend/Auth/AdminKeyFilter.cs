using Gateway.ApiFrontend.Errors;
using Gateway.Hosting;

namespace Gateway.ApiFrontend.Auth;

/// <summary>Admits only requests with the admin key, compared in constant time.</summary>
internal sealed class AdminKeyFilter(AdminKeyVerifier verifier) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (verifier.Verify(BearerToken.From(context.HttpContext.Request)))
        {
            return next(context);
        }

        var message = verifier.IsConfigured
            ? "A valid admin key is required (Authorization: Bearer <admin key>)."
            : "The admin API is disabled: no admin key is configured (Gateway:AdminKey).";
        return ValueTask.FromResult<object?>(new OpenAiError(StatusCodes.Status401Unauthorized, message, "invalid_request_error", code: "invalid_admin_key"));
    }
}
