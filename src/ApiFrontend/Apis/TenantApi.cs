using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Contracts;
using Gateway.ApiFrontend.Errors;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.ApiFrontend.Apis;

/// <summary>What a tenant may read about itself: <c>GET /v1/models</c> and <c>GET /v1/usage</c>.</summary>
public static class TenantApi
{
    public static RouteGroupBuilder MapTenantApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/models", ListModels).WithName("ListModels").WithErrors(401, 403);
        v1.MapGet("/usage", GetOwnUsage).WithName("GetOwnUsage").WithErrors(401, 403);
        return v1;
    }

    public static async Task<Results<Ok<ModelListResponse>, OpenAiError>> ListModels(HttpContext context, IGrainFactory grains, ModelCatalog catalog)
    {
        var tenant = grains.GetGrain<ITenantGrain>(TenantIdentity.Of(context).TenantId);
        if (await tenant.GetAsync() is not { } view)
        {
            return UnknownTenant();
        }

        RateLimitHeaders.Apply(context.Response, await tenant.GetRateLimitsAsync());
        var allowed = view.Config.AllowedModels;
        var models = catalog.ModelIds
            .Where(id => allowed is null || allowed.Contains(id, StringComparer.OrdinalIgnoreCase))
            .Select(id => new ModelResponse(id, catalog.Get(id).Provider))
            .ToArray();
        return TypedResults.Ok(new ModelListResponse(models));
    }

    public static async Task<Results<Ok<UsageResponse>, OpenAiError>> GetOwnUsage(HttpContext context, IGrainFactory grains)
    {
        var tenant = grains.GetGrain<ITenantGrain>(TenantIdentity.Of(context).TenantId);
        if (await tenant.GetUsageAsync() is not { } usage)
        {
            return UnknownTenant();
        }

        RateLimitHeaders.Apply(context.Response, await tenant.GetRateLimitsAsync());
        return TypedResults.Ok(UsageResponse.From(usage));
    }

    private static OpenAiError UnknownTenant() => AdmissionErrors.UnknownTenant();
}
