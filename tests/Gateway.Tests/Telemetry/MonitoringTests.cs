using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Gateway.Grains.Routing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// The alert rules and the dashboard in <c>k8s/monitoring</c>: the rules pass <c>promtool check rules</c>, and every metric
/// they or the dashboard name is in a real scrape of the gateway on PostgreSQL after ordinary traffic (a rule on a metric
/// that does not exist never fires).
/// </summary>
[Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed partial class MonitoringTests(RealServersFixture servers) : IClassFixture<RealServersFixture>
{
    private static readonly string Folder = Path.Combine(RealServersFixture.RepositoryRoot, "k8s", "monitoring");

    [Fact]
    public async Task TheAlertRulesPassPromtool()
    {
        var (exitCode, output) = await PrometheusScrape.PromtoolAsync(null, "check", "rules", Path.Combine(Folder, "gateway-rules.yml"));

        Assert.True(exitCode == 0, $"promtool check rules failed ({exitCode}):\n{output}");
    }

    [Fact]
    public async Task EveryMetricTheRulesAndTheDashboardNameIsInARealScrape()
    {
        var gateway = new GatewayFactory();
        gateway.Settings["Cluster:Storage"] = "PostgreSql";
        gateway.Settings["ConnectionStrings:Gateway"] = servers.PostgreSql;

        // gpt-4.1 as one deployment with one slot, at its built-in prices, so that a request can wait in its queue.
        foreach (var (name, value) in new[] { ("Deployments:0:Provider", "openai"), ("Deployments:0:UpstreamModel", "gpt-4.1"), ("Deployments:0:MaxConcurrent", "1"), ("InputPricePerMillionUsd", "2.00"), ("OutputPricePerMillionUsd", "8.00") })
        {
            gateway.Settings[$"Gateway:Models:gpt-4.1:{name}"] = value;
        }

        await gateway.InitializeAsync();
        try
        {
            var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", cache = new { enabled = true } });
            await MetricsTraffic.SendAsync(gateway, key);
            var (_, spender) = await gateway.CreateTenantWithKeyAsync(new { tier = "silver", monthlyBudgetUsd = ChatBodies.Gpt41CostUsd(ChatBodies.PromptTokens(), 5) });
            using (var client = gateway.CreateTenantClient(spender))
            {
                await MetricsTraffic.ExpectAsync(client, new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 5 }, HttpStatusCode.OK);
            }

            await SendQueuedAsync(gateway, key);
            var scrape = await PrometheusScrape.ScrapeAsync(gateway);
            var scraped = scrape.MetricNames();
            var labels = scrape.Samples.SelectMany(s => s.Labels.Keys).ToHashSet(StringComparer.Ordinal);
            var named = new[] { "gateway-rules.yml", "gateway-dashboard.json" }
                .SelectMany(file => MetricName().Matches(File.ReadAllText(Path.Combine(Folder, file))).Select(m => (File: file, Metric: m.Value)))
                .Where(n => !labels.Contains(n.Metric))
                .Distinct()
                .ToList();

            Assert.True(named.Count >= 12, $"Only {named.Count} metrics named: {string.Join(", ", named)}");
            Assert.DoesNotContain(named, n => !scraped.Contains(n.Metric));
        }
        finally
        {
            await ((IAsyncLifetime)gateway).DisposeAsync();
        }
    }

    /// <summary>Two requests at once on the one slot of gpt-4.1: the second waits in the deployment's queue.</summary>
    private static async Task SendQueuedAsync(GatewayFactory gateway, string key)
    {
        using var client = gateway.CreateTenantClient(key);
        var capacity = gateway.Services.GetRequiredService<DeploymentCapacity>();
        var body = new { model = "gpt-4.1", messages = ChatBodies.Messages("Wait for it"), max_tokens = 2 };
        var hold = gateway.MockHold;
        hold.Close();
        try
        {
            var first = client.PostAsJsonAsync("/v1/chat/completions", body);
            await Eventually.HoldsAsync(() => Task.FromResult(hold.Waiting == 1), "the first request holds the slot");
            var second = client.PostAsJsonAsync("/v1/chat/completions", body with { max_tokens = 3 });
            await Eventually.HoldsAsync(() => Task.FromResult(capacity.GetLoad("gpt-4.1#0").Queued == 1), "the second request waits in the queue");
            hold.Open();
            foreach (var request in new[] { first, second })
            {
                using var response = await request;
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        finally
        {
            hold.Open();
        }
    }

    [GeneratedRegex(@"\b(?:gateway|gen_ai)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
