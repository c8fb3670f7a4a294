using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Contracts;
using Gateway.ApiFrontend.Errors;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.ApiFrontend.Apis;

/// <summary>What a tenant may read about itself: <c>GET /v1/models</c> and <c>GET /v1/usage</c>.</summary>
public static class TenantApi
{
    public static RouteGroupBuilder MapTenantApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/models", ListModels).WithName("ListModels").Produces<ModelListResponse>().WithErrors(401, 403);
        v1.MapGet("/usage", GetOwnUsage).WithName("GetOwnUsage").Produces<UsageResponse>().WithErrors(401, 403);
        return v1;
    }

    public static async Task<IResult> ListModels(HttpContext context, IGrainFactory grains, ModelCatalog catalog)
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
        return TypedResults.Json(new ModelListResponse(models), GatewayJsonContext.Default.ModelListResponse);
    }

    public static async Task<IResult> GetOwnUsage(HttpContext context, IGrainFactory grains)
    {
        var tenant = grains.GetGrain<ITenantGrain>(TenantIdentity.Of(context).TenantId);
        if (await tenant.GetUsageAsync() is not { } usage)
        {
            return UnknownTenant();
        }

        RateLimitHeaders.Apply(context.Response, await tenant.GetRateLimitsAsync());
        return TypedResults.Json(UsageResponse.From(usage), GatewayJsonContext.Default.UsageResponse);
    }

    private static OpenAiError UnknownTenant() =>
        new(StatusCodes.Status401Unauthorized, "The tenant of this API key no longer exists.", "invalid_request_error", code: "invalid_api_key");
}
