using System.Text.Json;
using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Contracts;
using Gateway.ApiFrontend.Errors;
using Gateway.Catalog.Models;
using Gateway.Catalog.Tiers;
using Gateway.Grains.Abstractions.Tenants;
using Microsoft.Extensions.Options;

namespace Gateway.ApiFrontend.Apis;

/// <summary>The operator's API: tenants, their keys and usage. Behind the admin key (applied on the group).</summary>
public static class AdminApi
{
    private const long MaxAdminBodyBytes = 64 * 1024;

    // A field given twice is ambiguous (which id was meant?): refused.
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false };

    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/tenants", CreateTenant).WithName("CreateTenant")
            .Accepts<System.Text.Json.Nodes.JsonObject>("application/json").Produces<TenantResponse>(StatusCodes.Status201Created).WithErrors(400, 401, 409);
        admin.MapGet("/tenants/{id}", GetTenant).WithName("GetTenant").Produces<TenantResponse>().WithErrors(401, 404);
        admin.MapPatch("/tenants/{id}", UpdateTenant).WithName("UpdateTenant")
            .Accepts<System.Text.Json.Nodes.JsonObject>("application/json").Produces<TenantResponse>().WithErrors(400, 401, 404);
        admin.MapPost("/tenants/{id}/keys", CreateKey).WithName("CreateKey").Produces<CreatedKeyResponse>(StatusCodes.Status201Created).WithErrors(401, 404, 409);
        admin.MapDelete("/tenants/{id}/keys/{keyId}", RevokeKey).WithName("RevokeKey").Produces(StatusCodes.Status204NoContent).WithErrors(401, 404);
        admin.MapGet("/tenants/{id}/usage", GetUsage).WithName("GetTenantUsage").Produces<UsageResponse>().WithErrors(401, 404);
        admin.MapGet("/tenants/{id}/ledger", GetLedger).WithName("GetTenantLedger").Produces<LedgerPageResponse>().WithErrors(400, 401, 404);
        return admin;
    }

    public static async Task<IResult> CreateTenant(HttpContext context, IGrainFactory grains, ModelCatalog models, IOptionsMonitor<TierCatalogOptions> tiers)
    {
        using var body = await ReadJsonAsync(context);
        if (body.Error is { } bodyError)
        {
            return bodyError;
        }

        if (TenantRequestParser.ParseCreate(body.Document!.RootElement, models, tiers.CurrentValue, out var error) is not { } request)
        {
            return error!;
        }

        var view = await grains.GetGrain<ITenantGrain>(request.Id).CreateAsync(request.Config);
        return view is null
            ? new OpenAiError(StatusCodes.Status409Conflict, $"Tenant '{request.Id}' already exists.", "invalid_request_error", "id", "tenant_exists")
            : TypedResults.Json(TenantResponse.From(view), GatewayJsonContext.Default.TenantResponse, statusCode: StatusCodes.Status201Created);
    }

    public static async Task<IResult> GetTenant(string id, IGrainFactory grains) =>
        IsTenantId(id) && await grains.GetGrain<ITenantGrain>(id).GetAsync() is { } view
            ? TypedResults.Json(TenantResponse.From(view), GatewayJsonContext.Default.TenantResponse)
            : TenantNotFound(id);

    public static async Task<IResult> UpdateTenant(string id, HttpContext context, IGrainFactory grains, ModelCatalog models, IOptionsMonitor<TierCatalogOptions> tiers)
    {
        if (!IsTenantId(id))
        {
            return TenantNotFound(id);
        }

        using var body = await ReadJsonAsync(context);
        if (body.Error is { } bodyError)
        {
            return bodyError;
        }

        if (TenantRequestParser.ParsePatch(body.Document!.RootElement, models, tiers.CurrentValue, out var error) is not { } patch)
        {
            return error!;
        }

        return await grains.GetGrain<ITenantGrain>(id).UpdateAsync(patch) is { } view
            ? TypedResults.Json(TenantResponse.From(view), GatewayJsonContext.Default.TenantResponse)
            : TenantNotFound(id);
    }

    public static async Task<IResult> CreateKey(string id, IGrainFactory grains)
    {
        if (!IsTenantId(id))
        {
            return TenantNotFound(id);
        }

        var (keyId, key) = ApiKeys.Generate();
        var added = await grains.GetGrain<ITenantGrain>(id).AddKeyAsync(keyId, ApiKeys.Hash(key));
        return added switch
        {
            { Outcome: AddKeyOutcome.Added, Key: { } info } =>
                TypedResults.Json(new CreatedKeyResponse(info.Id, key, info.CreatedAt), GatewayJsonContext.Default.CreatedKeyResponse, statusCode: StatusCodes.Status201Created),
            { Outcome: AddKeyOutcome.TooManyKeys } => new OpenAiError(StatusCodes.Status409Conflict,
                $"Tenant '{id}' already holds {added.MaxKeys} keys (Gateway:Tenants:MaxKeys); revoke one first.", "invalid_request_error", code: "too_many_keys"),
            _ => TenantNotFound(id),
        };
    }

    public static async Task<IResult> RevokeKey(string id, string keyId, IGrainFactory grains) =>
        IsTenantId(id) && await grains.GetGrain<ITenantGrain>(id).RevokeKeyAsync(keyId)
            ? TypedResults.NoContent()
            : new OpenAiError(StatusCodes.Status404NotFound, $"Tenant '{id}' has no key '{keyId}'.", "invalid_request_error", "keyId", "key_not_found");

    public static async Task<IResult> GetUsage(string id, IGrainFactory grains) =>
        IsTenantId(id) && await grains.GetGrain<ITenantGrain>(id).GetUsageAsync() is { } usage
            ? TypedResults.Json(UsageResponse.From(usage), GatewayJsonContext.Default.UsageResponse)
            : TenantNotFound(id);

    public static async Task<IResult> GetLedger(string id, HttpContext context, IGrainFactory grains)
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
        return TypedResults.Json(LedgerPageResponse.From(page), GatewayJsonContext.Default.LedgerPageResponse);
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

    private static bool IsTenantId(string id) => TenantRequestParser.TenantIdPattern().IsMatch(id);

    private static OpenAiError TenantNotFound(string id) =>
        new(StatusCodes.Status404NotFound, $"No tenant '{(id.Length > 64 ? id[..64] : id)}'.", "invalid_request_error", "id", "tenant_not_found");

    private static async Task<JsonBody> ReadJsonAsync(HttpContext context)
    {
        var bytes = await RequestBody.ReadAsync(context.Request, MaxAdminBodyBytes, context.RequestAborted);
        if (bytes is null)
        {
            return new JsonBody(null, new OpenAiError(StatusCodes.Status413RequestEntityTooLarge,
                $"The request body is larger than {MaxAdminBodyBytes} bytes.", "invalid_request_error", code: "request_too_large"));
        }

        if (JsonText.Problem(bytes.Value.Span) is { } problem)
        {
            return new JsonBody(null, OpenAiError.InvalidRequest(problem));
        }

        try
        {
            return new JsonBody(JsonDocument.Parse(bytes.Value, DocumentOptions), null);
        }
        catch (JsonException)
        {
            return new JsonBody(null, OpenAiError.InvalidRequest("We could not parse the JSON body of your request."));
        }
    }

    private sealed record JsonBody(JsonDocument? Document, OpenAiError? Error) : IDisposable
    {
        public void Dispose() => Document?.Dispose();
    }
}
