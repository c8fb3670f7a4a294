using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// A gateway of the metrics tests' own, with one tenant labelled individually and a tier no other gateway of the test run
/// knows, so that the series they assert on carry only this gateway's traffic (the meters are per process).
/// </summary>
public sealed class MetricsGateway : IAsyncLifetime
{
    public const string LabeledTenant = "metrics-labelled";
    public const string Tier = "metricstier";

    public GatewayFactory Gateway { get; } = new();

    public async Task InitializeAsync()
    {
        Gateway.Settings["Gateway:Telemetry:LabeledTenants:0"] = LabeledTenant;
        foreach (var (name, value) in new[] { ("RequestsPerMinute", "100000"), ("TokensPerMinute", "100000000"), ("MonthlyTokenQuota", "1000000000"), ("MaxConcurrent", "1000"), ("FairShareWeight", "1") })
        {
            Gateway.Settings[$"Gateway:Tiers:{Tier}:{name}"] = value;
        }

        await Gateway.InitializeAsync();
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)Gateway).DisposeAsync();

    /// <summary>Creates a tenant with the given id and tier, its cache on, and one key.</summary>
    public async Task<string> CreateTenantAsync(string id, string tier)
    {
        using var admin = Gateway.CreateAdminClient();
        var created = await admin.PostAsJsonAsync("/admin/tenants", new { id, tier, cache = new { enabled = true } });
        Assert.True(created.IsSuccessStatusCode, $"Creating tenant {id}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var key = await admin.PostAsync($"/admin/tenants/{id}/keys", null);
        return (await key.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    }

    /// <summary>Every ledger entry of a tenant, through the admin API's pages.</summary>
    public async Task<List<JsonObject>> LedgerAsync(string tenantId)
    {
        using var admin = Gateway.CreateAdminClient();
        var entries = new List<JsonObject>();
        long? after = 0;
        while (after is { } cursor)
        {
            var page = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/ledger?limit=100&after={cursor}");
            entries.AddRange(page!["data"]!.AsArray().Select(e => e!.AsObject()));
            after = page["nextAfter"]?.GetValue<long>();
        }

        return entries;
    }
}
