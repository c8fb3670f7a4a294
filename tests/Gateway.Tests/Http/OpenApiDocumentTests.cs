using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.OpenApi;

namespace Gateway.Tests.Http;

/// <summary>The API document at <c>/openapi/v1.json</c>: valid OpenAPI 3, every endpoint of the API with its responses, nothing else.</summary>
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
             "/admin/tenants/{id}/ledger", "/admin/tenants/{id}/usage", "/v1/chat/completions", "/v1/models", "/v1/usage"],
            paths.Select(p => p.Key).Order(StringComparer.Ordinal));
        var create = paths["/admin/tenants"]!["post"]!["responses"]!;
        Assert.Contains("TenantResponse", create["201"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("ErrorResponse", create["409"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.NotNull(paths["/v1/chat/completions"]!["post"]!["responses"]!["429"]);
        Assert.NotNull(document["components"]!["schemas"]!["UsageResponse"]);
    }
}
