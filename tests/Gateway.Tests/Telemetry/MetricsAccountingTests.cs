using System.Globalization;
using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// The scraped accounting counters are the ledger's figures, exactly; and tenants add no series unless an operator
/// opts one in by name.
/// </summary>
public sealed class MetricsAccountingTests(MetricsGateway metrics) : IClassFixture<MetricsGateway>
{
    private GatewayFactory Gateway => metrics.Gateway;

    [Fact]
    public async Task ScrapedTokensAndCostEqualTheLedgerTotals()
    {
        var key = await metrics.CreateTenantAsync(MetricsGateway.LabeledTenant, "gold");
        await MetricsTraffic.SendAsync(Gateway, key);
        await MetricsTraffic.SendPricedApartAsync(Gateway, key);

        var ledger = await metrics.LedgerAsync(MetricsGateway.LabeledTenant);
        var scrape = await PrometheusScrape.ScrapeAsync(Gateway);

        var tenant = ("gateway_tenant", MetricsGateway.LabeledTenant);
        Assert.Equal(10, ledger.Count);
        Assert.Equal(Total(ledger, "inputTokens"), Scraped(scrape, "gateway_tokens_total", tenant, ("gen_ai_token_type", "input")));
        Assert.Equal(Total(ledger, "outputTokens"), Scraped(scrape, "gateway_tokens_total", tenant, ("gen_ai_token_type", "output")));

        // The kinds priced apart, each a part of input or output: all of them in this traffic, so none is zero by accident.
        var detail = new Dictionary<string, long>
        {
            ["cache_read"] = Total(ledger, "cachedInputTokens"),
            ["cache_write_5m"] = Total(ledger, "cacheWriteTokens") - Total(ledger, "cacheWrite1hTokens"),
            ["cache_write_1h"] = Total(ledger, "cacheWrite1hTokens"),
            ["reasoning"] = Total(ledger, "reasoningTokens"),
        };
        Assert.All(detail, kind => Assert.True(kind.Value > 0, $"The traffic has no {kind.Key} tokens"));
        Assert.Equal(detail, detail.Keys.ToDictionary(type => type, type => Scraped(scrape, "gateway_tokens_detail_total", tenant, ("gateway_token_type", type))));

        var costs = scrape.Find("gateway_cost_usd_total", tenant, ("gateway_tier", "gold"));
        Assert.Equal(["claude-sonnet-4.5", "gpt-4.1"], costs.Select(s => s.Labels["gateway_model"]).Order(StringComparer.Ordinal));
        Assert.Equal(ledger.Sum(e => e["costUsd"]!.GetValue<decimal>()), costs.Sum(s => decimal.Parse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        Assert.NotEmpty(scrape.Find("gateway_admissions_total", tenant, ("gateway_outcome", "admitted")));
    }

    [Fact]
    public async Task AThousandTenantsOfOneTierAddNoSeries()
    {
        var first = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => metrics.CreateTenantAsync($"few-{i}", MetricsGateway.Tier)));
        await Task.WhenAll(first.Select(ServeOneAsync));
        var before = TierSeries(await PrometheusScrape.ScrapeAsync(Gateway));

        const int Tenants = 1000;
        var ids = Enumerable.Range(0, Tenants).Select(i => $"many-{i:D4}").ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) => await ServeOneAsync(await metrics.CreateTenantAsync(id, MetricsGateway.Tier)));
        var scrape = await PrometheusScrape.ScrapeAsync(Gateway);

        Assert.Equal(before, TierSeries(scrape));
        Assert.DoesNotContain(scrape.Samples, s => s.Labels.Values.Any(v => v.StartsWith("many-", StringComparison.Ordinal)));
        var admitted = Assert.Single(scrape.Find("gateway_admissions_total", ("gateway_tier", MetricsGateway.Tier), ("gateway_outcome", "admitted")));
        Assert.Equal(Tenants + 2, admitted.Number);
    }

    private static long Total(List<System.Text.Json.Nodes.JsonObject> ledger, string field) => ledger.Sum(e => e[field]?.GetValue<long>() ?? 0);

    private static long Scraped(PrometheusScrape scrape, string name, params (string Name, string Value)[] labels) =>
        (long)scrape.Find(name, labels).Sum(s => s.Number);

    private async Task ServeOneAsync(string key)
    {
        using var client = Gateway.CreateTenantClient(key);
        await MetricsTraffic.ExpectAsync(client, new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 3 }, HttpStatusCode.OK);
    }

    private static SortedSet<string> TierSeries(PrometheusScrape scrape) =>
        new(scrape.Samples.Where(s => s.Labels.TryGetValue("gateway_tier", out var tier) && tier == MetricsGateway.Tier).Select(s => s.Series), StringComparer.Ordinal);
}
