using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

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

    [GeneratedRegex(@"\b(?:gateway|gen_ai)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
