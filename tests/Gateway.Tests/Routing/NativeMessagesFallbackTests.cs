using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Gateway.Tests.AnthropicIngress;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing;

/// <summary>
/// A Messages request whose model is served by a provider of kind <c>anthropic</c> and falls back to one of kind
/// <c>openai</c>: the first attempt sends the client's body natively, the second its translation, and the client gets the
/// fallback's answer translated back to Anthropic's shape, billed as the fallback served it.
/// </summary>
[Collection(RoutingGatewayCollection.Name)]
public sealed class NativeMessagesFallbackTests(RoutingGatewayFixture fixture)
{
    private GatewayFactory Gateway => fixture.Gateway;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AFallbackFromAnAnthropicProviderToAnOpenAiOneIsTranslatedOnItsAttempt(bool stream)
    {
        var (tenantId, key) = await Gateway.CreateRoomyTenantAsync();
        using var client = Gateway.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        var native = Gateway.MockDeployments.Get("claude-first-a");
        var fallback = Gateway.MockDeployments.Get("claude-second-a");
        native.Faults.Enqueue(new MockFault { Status = 529 });
        var served = fallback.Stats.Requests;
        var body = $$$"""
            {"model":"claude-first","max_tokens":6,"stream":{{{(stream ? "true" : "false")}}},"metadata":{"user_id":"{{{tenantId}}}"},
             "system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":"Hi"},
               {"role":"assistant","content":[{"type":"thinking","thinking":"A greeting.","signature":"c2ln"},{"type":"text","text":"Hello."}]},
               {"role":"user","content":"Again."}]}
            """;

        using var response = await client.PostAsync("/v1/messages", new StringContent(body, Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"The fallback should serve: {text}");
        var sent = JsonNode.Parse(Assert.Single(native.ReceivedMessages.All, r => r.Text.Contains(tenantId, StringComparison.Ordinal)).Text)!;
        Assert.Equal("c2ln", sent["messages"]![1]!["content"]![0]!["signature"]!.GetValue<string>());
        Assert.Equal(served + 1, fallback.Stats.Requests);
        Assert.Equal(0, native.Faults.Count);

        long output;
        if (stream)
        {
            var events = MessageEvents.Read(text);
            Assert.Equal(["message_start", "ping", "content_block_start"], events[..3].Select(e => e.Name));

            // message_start names the model that served, as the whole answer does, not the one asked for.
            Assert.Equal("claude-second", events[0].Data["message"]!["model"]!.GetValue<string>());
            Assert.Equal(MockUsage.CompletionText(6), string.Concat(events.Where(e => e.Name == "content_block_delta").Select(e => e.Data["delta"]!["text"]!.GetValue<string>())));
            Assert.Equal("message_stop", events[^1].Name);
            output = events[^2].Data["usage"]!["output_tokens"]!.GetValue<long>();
        }
        else
        {
            var message = JsonNode.Parse(text)!;
            Assert.Equal("message", message["type"]!.GetValue<string>());
            Assert.Equal("claude-second", message["model"]!.GetValue<string>());
            Assert.Equal(MockUsage.CompletionText(6), Assert.Single(message["content"]!.AsArray())!["text"]!.GetValue<string>());
            output = message["usage"]!["output_tokens"]!.GetValue<long>();
        }

        Assert.Equal(6, output);
        using var admin = Gateway.CreateAdminClient();
        var row = Assert.Single((await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger"))!["data"]!.AsArray())!.AsObject();
        Assert.Equal(("claude-second", "claude-first", 2, 6L), (row["model"]!.GetValue<string>(), row["requestedModel"]!.GetValue<string>(),
            row["attempts"]!.GetValue<int>(), row["outputTokens"]!.GetValue<long>()));
        Assert.Equal((0, 0L, 0m), UsageFigures.Reserved(await Gateway.GetUsageAsync(tenantId)));
    }
}
