using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Contracts;
using Gateway.ApiFrontend.Errors;
using Gateway.Grains.Abstractions.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.ApiFrontend.Apis;

/// <summary>What a tenant may read about its usage: <c>GET /v1/usage</c> (its models: <see cref="ModelsApi"/>).</summary>
public static class TenantApi
{
    public static RouteGroupBuilder MapTenantApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/usage", GetOwnUsage).WithName("GetOwnUsage").WithErrors(401, 403);
        return v1;
    }

    public static async Task<Results<Ok<UsageResponse>, OpenAiError>> GetOwnUsage(HttpContext context, IGrainFactory grains)
    {
        var tenant = grains.GetGrain<ITenantGrain>(TenantIdentity.Of(context).TenantId);
        if (await tenant.GetUsageAsync() is not { } usage)
        {
            return AdmissionErrors.UnknownTenant();
        }

        RateLimitHeaders.Apply(context.Response, await tenant.GetRateLimitsAsync());
        return TypedResults.Ok(UsageResponse.From(usage));
    }
}
