using System.Globalization;
using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Contracts;
using Gateway.ApiFrontend.Errors;
using Gateway.ApiFrontend.Messages;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.ApiFrontend.Apis;

/// <summary>
/// The models a tenant may use: <c>GET /v1/models</c> and <c>GET /v1/models/{model}</c>, in OpenAI's shape, or in
/// Anthropic's for a client that names an <c>anthropic-version</c> (Anthropic's SDKs always do, OpenAI's never), paged as
/// Anthropic pages (<c>limit</c>, <c>after_id</c>, <c>before_id</c>). Their errors follow the same choice
/// (<see cref="AnthropicDialectFilter"/>).
/// </summary>
public static class ModelsApi
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 1000;

    public static RouteGroupBuilder MapModelsApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/models", ListModels).WithName("ListModels").WithErrors(400, 401, 403);
        v1.MapGet("/models/{model}", GetModel).WithName("GetModel").WithErrors(401, 403, 404);
        return v1;
    }

    public static async Task<Results<Ok<AnthropicModelListResponse>, Ok<ModelListResponse>, OpenAiError>> ListModels(
        HttpContext context, IGrainFactory grains, ModelCatalog catalog)
    {
        if (await AllowedModelsAsync(context, grains, catalog) is not { } ids)
        {
            return AdmissionErrors.UnknownTenant();
        }

        if (!IsAnthropicClient(context.Request))
        {
            return TypedResults.Ok(new ModelListResponse([.. ids.Select(id => new ModelResponse(id, catalog.Get(id).Provider))]));
        }

        if (Page(context.Request.Query, ids, out var page, out var hasMore) is { } error)
        {
            return error;
        }

        return TypedResults.Ok(new AnthropicModelListResponse(
            [.. page.Select(id => Anthropic(id, catalog))], hasMore, page.FirstOrDefault(), page.LastOrDefault()));
    }

    public static async Task<Results<Ok<AnthropicModelResponse>, Ok<ModelResponse>, OpenAiError>> GetModel(
        HttpContext context, string model, IGrainFactory grains, ModelCatalog catalog)
    {
        if (await AllowedModelsAsync(context, grains, catalog) is not { } ids)
        {
            return AdmissionErrors.UnknownTenant();
        }

        // An alias names its model; a model the tenant may not use is as unknown to it as one the catalog lacks.
        if (!catalog.TryResolve(model, out var id, out var definition) || !ids.Contains(id, StringComparer.Ordinal))
        {
            return new OpenAiError(StatusCodes.Status404NotFound,
                $"The model '{model}' does not exist or you do not have access to it.", "invalid_request_error", code: "model_not_found");
        }

        return IsAnthropicClient(context.Request)
            ? TypedResults.Ok(Anthropic(id, catalog))
            : TypedResults.Ok(new ModelResponse(id, definition.Provider));
    }

    /// <summary>Whether the request comes from an Anthropic client: it names the API version, as Anthropic requires.</summary>
    internal static bool IsAnthropicClient(HttpRequest request) => request.Headers.ContainsKey(AnthropicVersions.Header);

    // The catalog's ids the tenant may use, in the catalog's order; null when the tenant no longer exists. Sets the
    // rate-limit headers as every tenant read does.
    private static async Task<string[]?> AllowedModelsAsync(HttpContext context, IGrainFactory grains, ModelCatalog catalog)
    {
        var tenant = grains.GetGrain<ITenantGrain>(TenantIdentity.Of(context).TenantId);
        if (await tenant.GetAsync() is not { } view)
        {
            return null;
        }

        RateLimitHeaders.Apply(context.Response, await tenant.GetRateLimitsAsync());
        var allowed = view.Config.AllowedModels;
        return [.. catalog.ModelIds.Where(id => allowed is null || allowed.Contains(id, StringComparer.OrdinalIgnoreCase))];
    }

    /// <summary>
    /// Anthropic's paging: at most <c>limit</c> (1 to 1,000, 20 by default) ids right after <c>after_id</c>, or right before
    /// <c>before_id</c>, or from the start; <paramref name="hasMore"/> says whether more lie beyond the page in that direction.
    /// </summary>
    private static OpenAiError? Page(IQueryCollection query, string[] ids, out string[] page, out bool hasMore)
    {
        page = [];
        hasMore = false;
        var limit = DefaultLimit;
        if (query["limit"] is { Count: > 0 } limits
            && (limits.Count > 1 || !int.TryParse(limits[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return BadQuery($"limit: must be an integer from 1 to {MaxLimit}", "limit");
        }

        var after = query["after_id"];
        var before = query["before_id"];
        if (after.Count > 1 || before.Count > 1 || after.Count == 1 && before.Count == 1)
        {
            return BadQuery("after_id and before_id: give at most one of them, once", after.Count > 0 ? "after_id" : "before_id");
        }

        var (start, end) = (0, ids.Length);
        if (after is [{ } afterId])
        {
            var at = Array.IndexOf(ids, afterId);
            if (at < 0)
            {
                return BadQuery("after_id: not a model in this list", "after_id");
            }

            start = at + 1;
            end = Math.Min(ids.Length, start + limit);
            hasMore = end < ids.Length;
        }
        else if (before is [{ } beforeId])
        {
            end = Array.IndexOf(ids, beforeId);
            if (end < 0)
            {
                return BadQuery("before_id: not a model in this list", "before_id");
            }

            start = Math.Max(0, end - limit);
            hasMore = start > 0;
        }
        else
        {
            end = Math.Min(ids.Length, limit);
            hasMore = end < ids.Length;
        }

        page = ids[start..end];
        return null;
    }

    private static AnthropicModelResponse Anthropic(string id, ModelCatalog catalog) =>
        new(id, id, DateTimeOffset.UnixEpoch, catalog.Get(id).MaxOutputTokens);

    private static OpenAiError BadQuery(string message, string param) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", param);
}
