using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary><c>GET /admin/tenants/{id}/ledger</c>: every settled request in order, paged, and bad queries refused.</summary>
[Collection(GatewayCollection.Name)]
public sealed class LedgerApiTests(GatewayFactory gateway)
{
    [Fact]
    public async Task LedgerListsEverySettledRequestAndPagesThroughThem()
    {
        var (tenantId, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);
        var requestIds = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 2 + i });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            requestIds.Add(response.Headers.GetValues("x-request-id").Single());
        }

        using var admin = gateway.CreateAdminClient();
        var first = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger?limit=2");
        var next = first!["nextAfter"]!.GetValue<long>();
        var second = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger?limit=2&after={next}");

        var entries = first["data"]!.AsArray().Concat(second!["data"]!.AsArray()).Select(e => e!.AsObject()).ToList();
        Assert.Equal(requestIds, entries.Select(e => e["requestId"]!.GetValue<string>()));
        Assert.Equal([2L, 3L, 4L], entries.Select(e => e["outputTokens"]!.GetValue<long>()));
        Assert.All(entries, e => Assert.Equal("completed", e["outcome"]!.GetValue<string>()));
        Assert.Null(second["nextAfter"]);
        var usage = await gateway.GetUsageAsync(tenantId);
        var cost = ChatBodies.Gpt41CostUsd(3 * ChatBodies.PromptTokens(), 2 + 3 + 4);
        Assert.Equal(cost, usage["costUsd"]!.GetValue<decimal>());
        Assert.Equal(cost, entries.Sum(e => e["costUsd"]!.GetValue<decimal>()));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=5000", "limit")]
    [InlineData("after=-1", "after")]
    [InlineData("from=yesterday", "from")]
    public async Task BadLedgerQueriesAreRefused(string query, string param)
    {
        var (tenantId, _) = await gateway.CreateTenantWithKeyAsync();
        using var admin = gateway.CreateAdminClient();

        var response = await admin.GetAsync($"/admin/tenants/{tenantId}/ledger?{query}");

        await OpenAiErrorAssertions.AssertOpenAiErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", param, null, query);
    }
}
