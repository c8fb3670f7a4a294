using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.OpenApi;

namespace Gateway.Tests.Http;

/// <summary>
/// The API document at <c>/openapi/v1.json</c>: valid OpenAPI 3, every endpoint of the API with its request body, its
/// success and error bodies, nothing else; the tenant request schemas are the fields the admin API takes.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiDocumentTests(GatewayFactory gateway)
{
    [Fact]
    public async Task TheDocumentIsValidOpenApi3AndListsEveryEndpointWithItsResponses()
    {
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/openapi/v1.json");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = OpenApiDocument.Parse(text, "json");
        Assert.Empty(read.Diagnostic!.Errors);
        var document = JsonNode.Parse(text)!;
        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject();
        Assert.Equal(
            ["/admin/deployments", "/admin/tenants", "/admin/tenants/{id}", "/admin/tenants/{id}/keys", "/admin/tenants/{id}/keys/{keyId}",
             "/admin/tenants/{id}/ledger", "/admin/tenants/{id}/usage", "/v1/chat/completions", "/v1/messages", "/v1/messages/count_tokens",
             "/v1/models", "/v1/models/{model}", "/v1/usage"],
            paths.Select(p => p.Key).Order(StringComparer.Ordinal));
        var create = paths["/admin/tenants"]!["post"]!["responses"]!;
        Assert.Contains("TenantResponse", create["201"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("ErrorResponse", create["409"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.NotNull(paths["/v1/chat/completions"]!["post"]!["responses"]!["429"]);
        Assert.NotNull(document["components"]!["schemas"]!["UsageResponse"]);
    }

    [Fact]
    public async Task EveryEndpointNamesItsRequestBodyAndItsSuccessAndErrorBodies()
    {
        var document = await DocumentAsync();

        var operations =
            from path in document["paths"]!.AsObject()
            from operation in path.Value!.AsObject()
            let responses = operation.Value!["responses"]!.AsObject()
            select new DocumentedOperation(
                $"{operation.Key.ToUpperInvariant()} {path.Key}",
                operation.Value["requestBody"]?["content"] is JsonObject body ? Bodies(body) : null,
                string.Join("; ", responses.Where(r => r.Key.StartsWith('2')).Select(r => $"{r.Key} {(r.Value!["content"] is JsonObject content ? Bodies(content) : "no body")}")),
                string.Join("; ", responses.Where(r => !r.Key.StartsWith('2')).Select(r => Bodies(r.Value!["content"]!.AsObject())).Distinct()));
        Assert.Equal(
            [
                new("DELETE /admin/tenants/{id}/keys/{keyId}", null, "204 no body", OpenAi),
                new("GET /admin/deployments", null, "200 application/json DeploymentListResponse", OpenAi),
                new("GET /admin/tenants/{id}", null, "200 application/json TenantResponse", OpenAi),
                new("GET /admin/tenants/{id}/ledger", null, "200 application/json LedgerPageResponse", OpenAi),
                new("GET /admin/tenants/{id}/usage", null, "200 application/json UsageResponse", OpenAi),
                new("GET /v1/models", null, "200 application/json ModelListResponse", OpenAi),
                new("GET /v1/models/{model}", null, "200 application/json ModelResponse", OpenAi),
                new("GET /v1/usage", null, "200 application/json UsageResponse", OpenAi),
                new("PATCH /admin/tenants/{id}", "application/json UpdateTenantRequest", "200 application/json TenantResponse", OpenAi),
                new("POST /admin/tenants", "application/json CreateTenantRequest", "201 application/json TenantResponse", OpenAi),
                new("POST /admin/tenants/{id}/keys", null, "201 application/json CreatedKeyResponse", OpenAi),
                new("POST /v1/chat/completions", "application/json ChatCompletionRequest",
                    "200 application/json ChatCompletionResponse, text/event-stream ChatCompletionChunk", OpenAi),
                new("POST /v1/messages", "application/json CreateMessageRequest",
                    "200 application/json MessageResponse, text/event-stream MessageStreamEvent", Anthropic),
                new("POST /v1/messages/count_tokens", "application/json CountMessageTokensRequest", "200 application/json CountMessageTokensResponse", Anthropic),
            ],
            operations.OrderBy(o => o.Operation, StringComparer.Ordinal));
        var schemas = document["components"]!["schemas"]!.AsObject();
        var references = document.ToJsonString().Split("\"$ref\":\"#/components/schemas/")[1..].Select(r => r[..r.IndexOf('"', StringComparison.Ordinal)]).ToHashSet();
        Assert.Contains("ChatCompletionChunk", references);
        Assert.Contains("MessageStreamEvent", references);
        Assert.DoesNotContain(references, r => !schemas.ContainsKey(r));
    }

    [Fact]
    public async Task TheTenantRequestSchemasListTheFieldsTheAdminApiTakesAndRefuseOthers()
    {
        var schemas = (await DocumentAsync())["components"]!["schemas"]!;

        Assert.Equal(
            ["allowedModels", "allowedOrigins", "cache", "fairShareWeight", "id", "limits", "monthlyBudgetUsd", "monthlyTokenQuota", "tier"],
            Fields(schemas["CreateTenantRequest"]!));
        Assert.Equal(["id", "tier"], schemas["CreateTenantRequest"]!["required"]!.AsArray().Select(f => f!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal("\"string\"", schemas["CreateTenantRequest"]!["properties"]!["id"]!["type"]!.ToJsonString());
        Assert.Equal("\"string\"", schemas["CreateTenantRequest"]!["properties"]!["tier"]!["type"]!.ToJsonString());
        Assert.Equal(
            ["allowedModels", "allowedOrigins", "cache", "fairShareWeight", "limits", "monthlyBudgetUsd", "monthlyTokenQuota", "tier"],
            Fields(schemas["UpdateTenantRequest"]!));
        Assert.Null(schemas["UpdateTenantRequest"]!["required"]);
        Assert.Equal(["maxConcurrent", "requestsPerMinute", "tokensPerMinute"], Fields(schemas["TenantLimitsRequest"]!));
        Assert.Equal(["deterministicOnly", "enabled", "hitCostFraction", "maxEntries", "ttlSeconds"], Fields(schemas["TenantCacheRequest"]!));
        foreach (var name in new[] { "CreateTenantRequest", "UpdateTenantRequest", "TenantLimitsRequest", "TenantCacheRequest" })
        {
            Assert.False(schemas[name]!["additionalProperties"]!.GetValue<bool>(), $"{name} refuses unknown fields");
        }

        // A number is a JSON number: the body reader refuses "10" where 10 is meant.
        Assert.Equal("[\"null\",\"integer\"]", schemas["TenantLimitsRequest"]!["properties"]!["requestsPerMinute"]!["type"]!.ToJsonString());
        Assert.Equal("[\"null\",\"number\"]", schemas["CreateTenantRequest"]!["properties"]!["monthlyBudgetUsd"]!["type"]!.ToJsonString());
        Assert.Equal("[\"null\",\"integer\"]", schemas["UpdateTenantRequest"]!["properties"]!["fairShareWeight"]!["type"]!.ToJsonString());
        Assert.Equal("\"integer\"", schemas["UsageResponse"]!["properties"]!["requests"]!["type"]!.ToJsonString());

        // Every kind of token the usage and the ledger report, in each response and row that carries tokens.
        foreach (var name in new[] { "UsageResponse", "ModelUsageResponse", "DailyUsageResponse", "LedgerEntryResponse" })
        {
            Assert.Superset(new HashSet<string> { "inputTokens", "cachedInputTokens", "cacheWriteTokens", "cacheWrite1hTokens", "outputTokens", "reasoningTokens" }, Fields(schemas[name]!).ToHashSet());
        }
    }

    [Fact]
    public async Task ATenantWithEveryDocumentedFieldIsCreated()
    {
        var schema = (await DocumentAsync())["components"]!["schemas"]!["CreateTenantRequest"]!;
        var samples = new Dictionary<string, JsonNode?>
        {
            ["id"] = "t-" + Guid.NewGuid().ToString("N")[..12],
            ["tier"] = "gold",
            ["allowedModels"] = new JsonArray("gpt-4.1"),
            ["monthlyBudgetUsd"] = 10,
            ["monthlyTokenQuota"] = 1000,
            ["limits"] = new JsonObject { ["requestsPerMinute"] = 5, ["tokensPerMinute"] = 500, ["maxConcurrent"] = 2 },
            ["cache"] = new JsonObject { ["enabled"] = true, ["ttlSeconds"] = 60, ["maxEntries"] = 10, ["deterministicOnly"] = false, ["hitCostFraction"] = 0.5 },
            ["allowedOrigins"] = new JsonArray("https://app.example.com"),
            ["fairShareWeight"] = 3,
        };
        var body = new JsonObject(Fields(schema).Select(f => KeyValuePair.Create(f, samples[f])));
        using var admin = gateway.CreateAdminClient();

        using var response = await admin.PostAsync("/admin/tenants", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{body.ToJsonString()}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Null(response.Headers.Location);
    }

    private async Task<JsonNode> DocumentAsync()
    {
        using var client = gateway.CreateClient();
        return JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;
    }

    private static string[] Fields(JsonNode schema) => [.. schema["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal)];

    /// <summary>"application/json X, text/event-stream Y" for a content map whose schemas reference X and Y.</summary>
    private static string Bodies(JsonObject content) =>
        string.Join(", ", content.Select(c => $"{c.Key} {c.Value!["schema"]?["$ref"]?.GetValue<string>().Split('/')[^1] ?? "(inline)"}"));

    private const string OpenAi = "application/json ErrorResponse";
    private const string Anthropic = "application/json AnthropicErrorResponse";

    /// <summary>An operation as documented; <see cref="Errors"/> names the bodies of its error statuses (one error shape per endpoint).</summary>
    private sealed record DocumentedOperation(string Operation, string? RequestBody, string Success, string Errors);
}
