using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Infrastructure.OpenAiErrorAssertions;

namespace Gateway.Tests.Routing;

/// <summary>
/// A model whose deployments fail falls back to the next model of its chain, and the request is billed as that model
/// serves it: at its price, in its name, with the requested model and the attempts on the ledger row.
/// </summary>
[Collection(RoutingGatewayCollection.Name)]
public sealed class FallbackBillingTests(RoutingGatewayFixture fixture)
{
    // backup's prices, per million tokens (see RoutingGatewayFixture): chosen so that a cent-rounded or primary-priced
    // charge cannot come out equal.
    private const decimal BackupInput = 0.37m;
    private const decimal BackupOutput = 1.13m;

    private GatewayFactory Gateway => fixture.Gateway;

    [Fact]
    public async Task AFallbackIsBilledAtTheServingModelsPriceToTheMicroDollar()
    {
        var (tenantId, key) = await Gateway.CreateRoomyTenantAsync();
        using var client = Gateway.CreateTenantClient(key);
        var primary = Gateway.MockDeployments.Get("primary-a");
        var backup = Gateway.MockDeployments.Get("backup-a");
        primary.Faults.Enqueue(new MockFault { Status = 500 });
        var served = backup.Stats.Requests;

        using var response = await client.ChatAsync("primary", maxTokens: 7);

        var text = await response.Content.ReadAsStringAsync();
        Expect.Equal(HttpStatusCode.OK, response.StatusCode, $"The fallback should serve: {text}");
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("backup", body["model"]!.GetValue<string>());
        var input = body["usage"]!["prompt_tokens"]!.GetValue<long>();
        var output = body["usage"]!["completion_tokens"]!.GetValue<long>();
        Assert.Equal(7, output);
        Assert.Equal(served + 1, backup.Stats.Requests);
        Assert.Equal(0, primary.Faults.Count);

        var expected = (input * BackupInput + output * BackupOutput) / 1_000_000m;
        var usage = await Gateway.GetUsageAsync(tenantId);
        Assert.Equal(expected, usage["costUsd"]!.GetValue<decimal>());
        var byModel = usage["byModel"]!.AsArray().Select(m => m!.AsObject()).ToList();
        Assert.Equal(["backup"], byModel.Select(m => m["model"]!.GetValue<string>()));
        Assert.Equal(expected, byModel[0]["costUsd"]!.GetValue<decimal>());

        var row = Assert.Single(await LedgerAsync(tenantId));
        Assert.Equal(response.Headers.GetValues("x-request-id").Single(), row["requestId"]!.GetValue<string>());
        Assert.Equal("backup", row["model"]!.GetValue<string>());
        Assert.Equal("backup-a", row["provider"]!.GetValue<string>());
        Assert.Equal("primary", row["requestedModel"]!.GetValue<string>());
        Assert.Equal(2, row["attempts"]!.GetValue<int>());
        Assert.Equal(input, row["inputTokens"]!.GetValue<long>());
        Assert.Equal(output, row["outputTokens"]!.GetValue<long>());
        Assert.Equal(expected, row["costUsd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task AFallbackTheTenantMayNotUseIsSkippedAndNothingIsCharged()
    {
        var (tenantId, key) = await Gateway.CreateRoomyTenantAsync(allowedModels: ["guarded"]);
        using var client = Gateway.CreateTenantClient(key);
        var guarded = Gateway.MockDeployments.Get("guarded-a");
        var forbidden = Gateway.MockDeployments.Get("guarded-backup-a");
        guarded.Faults.Enqueue(new MockFault { Status = 500 }, count: 3);

        using var response = await client.ChatAsync("guarded");

        await AssertOpenAiErrorAsync(response, HttpStatusCode.BadGateway, "server_error", null, "upstream_error", "every attempt on guarded failed and its fallback is not allowed");
        Assert.Equal(0, guarded.Faults.Count);
        Assert.Equal(0, forbidden.Stats.Requests);
        var usage = await Gateway.GetUsageAsync(tenantId);
        Assert.Equal(0m, usage["costUsd"]!.GetValue<decimal>());
        Assert.Equal(0, usage["requests"]!.GetValue<long>());
        Assert.Equal(0, usage["inFlight"]!.GetValue<int>());
        Assert.Empty(await LedgerAsync(tenantId));
    }

    private async Task<List<JsonObject>> LedgerAsync(string tenantId)
    {
        using var admin = Gateway.CreateAdminClient();
        var page = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger");
        return page!["data"]!.AsArray().Select(e => e!.AsObject()).ToList();
    }
}
