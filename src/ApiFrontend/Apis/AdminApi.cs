using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Contracts;
using Gateway.ApiFrontend.Errors;
using Gateway.Catalog.Models;
using Gateway.Catalog.Tiers;
using Gateway.Grains.Abstractions.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gateway.ApiFrontend.Apis;

/// <summary>The operator's API: tenants, their keys and usage. Behind the admin key (applied on the group).</summary>
public static class AdminApi
{
    private const long MaxAdminBodyBytes = 64 * 1024;

    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/tenants", CreateTenant).WithName("CreateTenant").Accepts<CreateTenantRequest>("application/json").WithErrors(400, 401, 409, 413, 415);
        admin.MapGet("/tenants/{id}", GetTenant).WithName("GetTenant").WithErrors(401, 404);
        admin.MapPatch("/tenants/{id}", UpdateTenant).WithName("UpdateTenant").Accepts<UpdateTenantRequest>("application/json").WithErrors(400, 401, 404, 413, 415);
        admin.MapPost("/tenants/{id}/keys", CreateKey).WithName("CreateKey").WithErrors(401, 404, 409);
        admin.MapDelete("/tenants/{id}/keys/{keyId}", RevokeKey).WithName("RevokeKey").WithErrors(401, 404);
        admin.MapGet("/tenants/{id}/usage", GetUsage).WithName("GetTenantUsage").WithErrors(401, 404);
        admin.MapGet("/tenants/{id}/ledger", GetLedger).WithName("GetTenantLedger").WithErrors(400, 401, 404);
        return admin;
    }

    public static async Task<Results<Created<TenantResponse>, OpenAiError>> CreateTenant(
        HttpContext context, IGrainFactory grains, ModelCatalog models, IOptionsMonitor<TierCatalogOptions> tiers)
    {
        var tierCatalog = tiers.CurrentValue;
        var body = await StrictJsonBody.ReadAsync<CreateTenantRequest>(context, MaxAdminBodyBytes, (field, known) => TenantRequestValidator.BindingError(field, known, tierCatalog));
        if (body.Value is not { } request)
        {
            return body.Error!;
        }

        if (!TenantRequestValidator.TryCreate(request, models, tierCatalog, out var tenant, out var error))
        {
            return error;
        }

        // Created without a Location: the answer is the tenant itself.
        var view = await grains.GetGrain<ITenantGrain>(tenant.Id).CreateAsync(tenant.Config);
        return view is null
            ? new OpenAiError(StatusCodes.Status409Conflict, $"Tenant '{tenant.Id}' already exists.", "invalid_request_error", "id", "tenant_exists")
            : TypedResults.Created((string?)null, TenantResponse.From(view));
    }

    public static async Task<Results<Ok<TenantResponse>, OpenAiError>> GetTenant(string id, IGrainFactory grains) =>
        IsTenantId(id) && await grains.GetGrain<ITenantGrain>(id).GetAsync() is { } view
            ? TypedResults.Ok(TenantResponse.From(view))
            : TenantNotFound(id);

    public static async Task<Results<Ok<TenantResponse>, OpenAiError>> UpdateTenant(
        string id, HttpContext context, IGrainFactory grains, ModelCatalog models, IOptionsMonitor<TierCatalogOptions> tiers)
    {
        if (!IsTenantId(id))
        {
            return TenantNotFound(id);
        }

        var tierCatalog = tiers.CurrentValue;
        var body = await StrictJsonBody.ReadAsync<UpdateTenantRequest>(context, MaxAdminBodyBytes, (field, known) => TenantRequestValidator.BindingError(field, known, tierCatalog));
        if (body.Value is not { } request)
        {
            return body.Error!;
        }

        if (!TenantRequestValidator.TryUpdate(request, models, tierCatalog, out var patch, out var error))
        {
            return error;
        }

        return await grains.GetGrain<ITenantGrain>(id).UpdateAsync(patch) is { } view
            ? TypedResults.Ok(TenantResponse.From(view))
            : TenantNotFound(id);
    }

    public static async Task<Results<Created<CreatedKeyResponse>, OpenAiError>> CreateKey(string id, IGrainFactory grains)
    {
        if (!IsTenantId(id))
        {
            return TenantNotFound(id);
        }

        var (keyId, key) = ApiKeys.Generate();
        var added = await grains.GetGrain<ITenantGrain>(id).AddKeyAsync(keyId, ApiKeys.Hash(key));
        return added switch
        {
            { Outcome: AddKeyOutcome.Added, Key: { } info } => TypedResults.Created((string?)null, new CreatedKeyResponse(info.Id, key, info.CreatedAt)),
            { Outcome: AddKeyOutcome.TooManyKeys } => new OpenAiError(StatusCodes.Status409Conflict,
                $"Tenant '{id}' already holds {added.MaxKeys} keys (Gateway:Tenants:MaxKeys); revoke one first.", "invalid_request_error", code: "too_many_keys"),
            _ => TenantNotFound(id),
        };
    }

    public static async Task<Results<NoContent, OpenAiError>> RevokeKey(string id, string keyId, IGrainFactory grains) =>
        IsTenantId(id) && await grains.GetGrain<ITenantGrain>(id).RevokeKeyAsync(keyId)
            ? TypedResults.NoContent()
            : new OpenAiError(StatusCodes.Status404NotFound, $"Tenant '{id}' has no key '{keyId}'.", "invalid_request_error", "keyId", "key_not_found");

    public static async Task<Results<Ok<UsageResponse>, OpenAiError>> GetUsage(string id, IGrainFactory grains) =>
        IsTenantId(id) && await grains.GetGrain<ITenantGrain>(id).GetUsageAsync() is { } usage
            ? TypedResults.Ok(UsageResponse.From(usage))
            : TenantNotFound(id);

    public static async Task<Results<Ok<LedgerPageResponse>, OpenAiError>> GetLedger(string id, HttpContext context, IGrainFactory grains)
    {
        if (!IsTenantId(id))
        {
            return TenantNotFound(id);
        }

        var query = context.Request.Query;
        if (!TryParseTime(query["from"], "from", out var from, out var error)
            || !TryParseTime(query["to"], "to", out var to, out error)
            || !TryParseLong(query["limit"], "limit", 1, MaxLedgerPage, DefaultLedgerPage, out var limit, out error)
            || !TryParseLong(query["after"], "after", 0, long.MaxValue, 0, out var after, out error))
        {
            return error!;
        }

        var tenant = grains.GetGrain<ITenantGrain>(id);
        if (await tenant.GetUsageAsync() is null)
        {
            return TenantNotFound(id);
        }

        var page = await tenant.GetLedgerAsync(new Gateway.Grains.Abstractions.Ledger.LedgerQuery(from, to, after, (int)limit));
        return TypedResults.Ok(LedgerPageResponse.From(page));
    }

    private const int MaxLedgerPage = 1_000;
    private const int DefaultLedgerPage = 100;

    private static bool TryParseTime(string? value, string name, out DateTimeOffset? time, out OpenAiError? error)
    {
        time = null;
        error = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }

        error = OpenAiError.InvalidRequest($"'{name}' must be an ISO 8601 time, such as 2026-11-01T00:00:00Z.", name);
        return false;
    }

    private static bool TryParseLong(string? value, string name, long min, long max, long fallback, out long number, out OpenAiError? error)
    {
        error = null;
        number = fallback;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number) && number >= min && number <= max)
        {
            return true;
        }

        error = OpenAiError.InvalidRequest($"'{name}' must be an integer between {min} and {max}.", name);
        return false;
    }

    private static bool IsTenantId(string id) => TenantRequestValidator.TenantIdPattern().IsMatch(id);

    private static OpenAiError TenantNotFound(string id) =>
        new(StatusCodes.Status404NotFound, $"No tenant '{(id.Length > 64 ? id[..64] : id)}'.", "invalid_request_error", "id", "tenant_not_found");
}
