using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Npgsql;

namespace Gateway.Tests.Durability;

/// <summary>
/// PostgreSQL going away under the embedded gateway (through a relay the test cuts): requests are served while their
/// ledger rows fit the bounded buffer, then refused with 503 and Retry-After, never served unrecorded; when the
/// database is back the buffered rows are written and every charge is in the ledger.
/// </summary>
[Collection(RealServersCollection.Name), Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed class DatabaseOutageTests(RealServersFixture servers)
{
    private const int BufferCapacity = 3;

    [Fact]
    public async Task WhileTheDatabaseIsDownRowsWaitInTheBufferThenRequestsAreRefusedAndNothingIsLost()
    {
        var direct = new NpgsqlConnectionStringBuilder(servers.PostgreSql);
        await using var relay = new TcpRelay(direct.Port);
        var gateway = new GatewayFactory();
        gateway.Settings["Cluster:Storage"] = "PostgreSql";
        gateway.Settings["Cluster:ServiceId"] = "svc-" + Guid.NewGuid().ToString("N")[..8];
        gateway.Settings["ConnectionStrings:Gateway"] = new NpgsqlConnectionStringBuilder(servers.PostgreSql) { Port = relay.Port, Timeout = 2 }.ConnectionString;
        gateway.Settings["Gateway:Ledger:BufferCapacity"] = BufferCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture);
        gateway.Settings["Gateway:Ledger:MaxRetryDelay"] = "00:00:00.200";
        gateway.Settings["Gateway:Tenants:SettlementDurabilityWait"] = "00:00:00.300";
        await gateway.InitializeAsync();
        try
        {
            var (tenantId, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "platinum" });
            using var client = gateway.CreateTenantClient(key);
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(client)).StatusCode);

            relay.Cut();
            for (var i = 0; i < BufferCapacity; i++)
            {
                var buffered = await PostAsync(client);
                Assert.Equal(HttpStatusCode.OK, buffered.StatusCode);
            }

            var refused = await PostAsync(client);
            await OpenAiErrorAssertions.AssertOpenAiErrorAsync(refused, HttpStatusCode.ServiceUnavailable, "server_error", null, "accounting_unavailable", "the ledger buffer is full");
            Assert.NotNull(refused.Headers.RetryAfter);

            relay.Restore();
            await Eventually.HoldsAsync(async () => (await LedgerAsync(gateway, tenantId)).Count == 1 + BufferCapacity,
                "the buffered rows are written", TimeSpan.FromSeconds(30));
            await Eventually.HoldsAsync(async () => (await PostAsync(client)).StatusCode == HttpStatusCode.OK,
                "requests are admitted again", TimeSpan.FromSeconds(30));

            var served = gateway.MockStats.Requests;
            Assert.Equal(2 + BufferCapacity, served);
            Assert.Equal(served, (await gateway.GetUsageAsync(tenantId))["requests"]!.GetValue<long>());
            Assert.Equal(served, (await LedgerAsync(gateway, tenantId)).Count);
        }
        finally
        {
            await ((IAsyncLifetime)gateway).DisposeAsync();
        }
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client) =>
        client.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 5 });

    private static async Task<JsonArray> LedgerAsync(GatewayFactory gateway, string tenantId)
    {
        using var admin = gateway.CreateAdminClient();
        var page = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger?limit=100");
        return page!["data"]!.AsArray();
    }
}
