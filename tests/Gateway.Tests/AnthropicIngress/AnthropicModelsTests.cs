using System.Net;
using System.Text.Json.Nodes;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Models;
using Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Models;

namespace Gateway.Tests.AnthropicIngress;

/// <summary>
/// <c>GET /v1/models</c> and <c>GET /v1/models/{model}</c> answer each SDK in its own shape: Anthropic's (paged by
/// <c>limit</c>, <c>after_id</c>, <c>before_id</c>) when the request names an <c>anthropic-version</c>, OpenAI's otherwise.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AnthropicModelsTests(GatewayFactory gateway)
{
    [Fact]
    public async Task TheAnthropicSdkListsAndRetrievesTheTenantsModels()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "claude-sonnet-4.5", "gpt-4.1" } });
        var client = CreateClient(key);

        var page = await client.Models.List();

        Assert.Equal(["gpt-4.1", "claude-sonnet-4.5"], page.Items.Select(m => m.ID).Order(StringComparer.Ordinal).Reverse());
        Assert.False(page.HasNext());
        var claude = page.Items.Single(m => m.ID == "claude-sonnet-4.5");
        Assert.Equal("claude-sonnet-4.5", claude.DisplayName);
        Assert.Equal(DateTimeOffset.UnixEpoch, claude.CreatedAt);
        Assert.True(claude.MaxTokens > 0);

        var retrieved = await client.Models.Retrieve("claude-sonnet-4.5");
        Assert.Equal("claude-sonnet-4.5", retrieved.ID);

        // A model of the catalog the tenant may not use is not found, in Anthropic's error shape.
        var missing = await Assert.ThrowsAsync<AnthropicNotFoundException>(() => client.Models.Retrieve("gemini-2.5-flash"));
        Assert.Contains("gemini-2.5-flash", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PagesFollowAfterIdAndBeforeIdAndSayWhetherMoreFollow()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        using var http = CreateHttpClient(key);

        var all = Ids(await GetJsonAsync(http, "/v1/models"));
        Assert.Equal(4, all.Length);

        var first = await GetJsonAsync(http, "/v1/models?limit=2");
        Assert.Equal(all[..2], Ids(first));
        Assert.True(first["has_more"]!.GetValue<bool>());
        Assert.Equal(all[0], first["first_id"]!.GetValue<string>());
        Assert.Equal(all[1], first["last_id"]!.GetValue<string>());
        Assert.Equal("model", first["data"]![0]!["type"]!.GetValue<string>());

        var second = await GetJsonAsync(http, $"/v1/models?limit=2&after_id={all[1]}");
        Assert.Equal(all[2..], Ids(second));
        Assert.False(second["has_more"]!.GetValue<bool>());

        var before = await GetJsonAsync(http, $"/v1/models?limit=1&before_id={all[2]}");
        Assert.Equal([all[1]], Ids(before));
        Assert.True(before["has_more"]!.GetValue<bool>());

        // The SDK pages through them all the same way.
        var seen = new List<string>();
        for (var page = await CreateClient(key).Models.List(new ModelListParams { Limit = 3 }); ; page = await page.Next())
        {
            seen.AddRange(page.Items.Select(m => m.ID));
            if (!page.HasNext())
            {
                break;
            }
        }

        Assert.Equal(all, seen);
    }

    [Theory]
    [InlineData("/v1/models?limit=0", "limit")]
    [InlineData("/v1/models?limit=1001", "limit")]
    [InlineData("/v1/models?limit=ten", "limit")]
    [InlineData("/v1/models?after_id=no-such-model", "after_id")]
    [InlineData("/v1/models?after_id=gpt-4.1&before_id=gpt-4.1", "after_id")]
    public async Task ABadPageIsRefusedInAnthropicsShape(string path, string named)
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        using var http = CreateHttpClient(key);

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Contains(named, body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAnthropicClientsBadKeyAndBadVersionAreRefusedInAnthropicsShape()
    {
        using var badKey = gateway.CreateClient();
        badKey.DefaultRequestHeaders.Add("x-api-key", "sk-" + new string('0', 64));
        badKey.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        using var refused = await badKey.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("authentication_error", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());

        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        using var badVersion = gateway.CreateClient();
        badVersion.DefaultRequestHeaders.Add("x-api-key", key);
        badVersion.DefaultRequestHeaders.Add("anthropic-version", "1999-01-01");
        using var version = await badVersion.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.BadRequest, version.StatusCode);
        Assert.Contains("anthropic-version", JsonNode.Parse(await version.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // A method the path does not take, answered by the routing itself, is in Anthropic's shape too.
        using var http = CreateHttpClient(key);
        using var posted = await http.PostAsync("/v1/models", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, posted.StatusCode);
        Assert.Equal("error", JsonNode.Parse(await posted.Content.ReadAsStringAsync())!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheOpenAiSdkRetrievesAModelByIdOrAliasAndGets404ForOneItMayNotUse()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", allowedModels = new[] { "deepseek-chat", "gpt-4.1" } });
        var models = new OpenAIClient(new System.ClientModel.ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(gateway.BaseAddress, "/v1"),
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(gateway.CreateClient()),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
        }).GetOpenAIModelClient();

        OpenAIModel model = await models.GetModelAsync("gpt-4.1");
        Assert.Equal("gpt-4.1", model.Id);
        Assert.Equal("openai", model.OwnedBy);

        // The alias names the catalog's model.
        Assert.Equal("deepseek-v3.2", (await models.GetModelAsync("deepseek-chat")).Value.Id);

        var missing = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => models.GetModelAsync("claude-sonnet-4.5"));
        Assert.Equal(404, missing.Status);
        var body = JsonNode.Parse(missing.GetRawResponse()!.Content.ToString())!;
        Assert.Equal("model_not_found", body["error"]!["code"]!.GetValue<string>());
    }

    private static string[] Ids(JsonNode page) => [.. page["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>())];

    private static async Task<JsonNode> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private AnthropicClient CreateClient(string key) => new(new Anthropic.Core.ClientOptions
    {
        ApiKey = key,
        BaseUrl = gateway.BaseAddress.ToString().TrimEnd('/'),
        MaxRetries = 0,
    });

    private HttpClient CreateHttpClient(string key)
    {
        var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }
}
