using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary>The embedded gateway end to end: a tenant's key, one completion, the usage it is charged.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SmokeTests(GatewayFactory gateway)
{
    [Fact]
    public async Task ServesACompletionAndChargesWhatTheProviderReported()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        var response = await client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "gpt-4.1",
            messages = new[] { new { role = "user", content = "Hello there" } },
            max_tokens = 7,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        var usage = await gateway.GetUsageAsync(tenantId);
        Assert.Equal(ChatBodies.PromptTokens(), body!["usage"]!["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(ChatBodies.PromptTokens(), usage["inputTokens"]!.GetValue<long>());
        Assert.Equal(7, usage["outputTokens"]!.GetValue<long>());
    }
}
