using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary>
/// Browser clients: any page's preflight of the tenant API is answered with the headers clients send, the request itself
/// only from an origin in the key's tenant's <c>allowedOrigins</c> (else 403, nothing charged); the admin API has no CORS.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BrowserCorsTests(GatewayFactory gateway)
{
    private const string Allowed = "https://app.example.com";

    [Fact]
    public async Task APreflightOfTheTenantApiAllowsTheHeadersClientsSend()
    {
        using var client = gateway.CreateClient();
        using var preflight = Preflight("/v1/chat/completions", "https://anyone.example.org", "authorization, x-api-key, anthropic-version, content-type");

        var response = await client.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://anyone.example.org", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var headers = string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        Assert.All(new[] { "authorization", "x-api-key", "anthropic-version", "content-type" }, h => Assert.Contains(h, headers, StringComparison.Ordinal));
        Assert.Contains("POST", string.Join(",", response.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAdminApiAnswersNoPreflightAndNoCorsHeaders()
    {
        using var client = gateway.CreateClient();
        var preflight = await client.SendAsync(Preflight("/admin/tenants", Allowed, "authorization, content-type"));
        using var admin = gateway.CreateAdminClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/deployments");
        request.Headers.Add("Origin", Allowed);

        var response = await admin.SendAsync(request);

        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task ARequestFromAnAllowedOriginIsServedAndReadableByThePage()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedOrigins = new[] { Allowed + "/", "http://localhost:3000" } });
        using var client = gateway.CreateTenantClient(key);

        var response = await client.SendAsync(Chat(Allowed));
        var local = await client.SendAsync(Chat("http://LOCALHOST:3000"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Allowed, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("x-request-id", string.Join(",", response.Headers.GetValues("Access-Control-Expose-Headers")), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Equal(2, (await gateway.GetUsageAsync(tenantId))["requests"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ARequestFromAnotherOriginIsRefusedAndChargesNothing(bool tenantHasOrigins)
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(tenantHasOrigins ? new { tier = "gold", allowedOrigins = new[] { Allowed } } : new { tier = "gold" });
        using var client = gateway.CreateTenantClient(key);

        var response = await client.SendAsync(Chat("https://evil.example.net"));

        await OpenAiErrorAssertions.AssertOpenAiErrorAsync(response, HttpStatusCode.Forbidden, "invalid_request_error", null, "origin_not_allowed", "another origin");
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(0, usage["requests"]!.GetValue<long>());
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""["ftp://files.example.com"]""")]
    [InlineData("""["https://app.example.com/path"]""")]
    [InlineData("""["https://app.example.com?x=1"]""")]
    [InlineData("""["app.example.com"]""")]
    [InlineData("""[5]""")]
    [InlineData("""["*"]""")]
    [InlineData("\"https://app.example.com\"")]
    public async Task AnOriginListThatIsNotOneIsRefused(string origins)
    {
        using var admin = gateway.CreateAdminClient();
        var body = new JsonObject { ["id"] = "t-" + Guid.NewGuid().ToString("N")[..12], ["tier"] = "gold", ["allowedOrigins"] = JsonNode.Parse(origins) };

        var response = await admin.PostAsJsonAsync("/admin/tenants", body);

        await OpenAiErrorAssertions.AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "allowedOrigins", null, origins);
    }

    private static HttpRequestMessage Preflight(string path, string origin, string headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", headers);
        return request;
    }

    private static HttpRequestMessage Chat(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 3 }),
        };
        request.Headers.Add("Origin", origin);
        return request;
    }
}
