using Gateway.Catalog.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// Lets a scrape of <c>/metrics</c> through with the admin key as a Bearer token, or without it on the management port
/// (<see cref="TelemetryOptions.ManagementPort"/>); anything else gets 401. Metrics name tiers, models and deployments and
/// show traffic: not for the public.
/// </summary>
internal sealed class MetricsAccessMiddleware(RequestDelegate next, AdminKeyVerifier verifier, IOptions<TelemetryOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        if ((options.Value.ManagementPort is { } port && context.Connection.LocalPort == port) || verifier.Verify(BearerToken.From(context.Request)))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"gateway metrics\"";
        return Task.CompletedTask;
    }
}
