using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Telemetry;

/// <summary><c>/metrics</c> on the embedded gateway: only to the admin key, and a scrape Prometheus' own linter accepts.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MetricsEndpointTests(GatewayFactory gateway)
{
    [Fact]
    public async Task MetricsRefusesAScrapeWithoutTheAdminKey()
    {
        var (_, tenantKey) = await gateway.CreateTenantWithKeyAsync();
        using var anonymous = PrometheusScrape.Anonymous(gateway);
        using var tenant = PrometheusScrape.WithBearer(gateway, tenantKey);
        using var wrong = PrometheusScrape.WithBearer(gateway, GatewayFactory.AdminKey + "x");
        using var admin = gateway.CreateAdminClient();

        foreach (var client in new[] { anonymous, tenant, wrong })
        {
            using var refused = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.DoesNotContain("gateway_", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var scraped = await admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.StartsWith("text/plain", scraped.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AScrapeAfterTrafficPassesPromtoolAndShowsSubMillisecondBuckets()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync(new { tier = "gold", cache = new { enabled = true } });
        await MetricsTraffic.SendAsync(gateway, key);
        RecordOrleansMessageSizes();

        var scrape = await PrometheusScrape.ScrapeAsync(gateway);
        var (exitCode, output) = await PrometheusScrape.PromtoolAsync(scrape.Text, "check", "metrics");

        Assert.True(exitCode == 0, $"promtool check metrics failed ({exitCode}):\n{output}");
        Assert.NotEmpty(scrape.Find("gateway_added_time_seconds_bucket", ("le", "5E-05")));
        Assert.NotEmpty(scrape.Find("gen_ai_client_token_usage_bucket", ("gen_ai_token_type", "output"), ("gen_ai_operation_name", "chat")));
        Assert.True(scrape.Find("gen_ai_client_operation_time_to_first_chunk_seconds_count", ("gen_ai_request_model", "gpt-4.1")).Any(),
            string.Join("\n", scrape.Samples.Where(s => s.Name.StartsWith("gen_ai", StringComparison.Ordinal)).Select(s => s.Series)));
        Assert.NotEmpty(scrape.Find("gateway_requests_total", ("gateway_outcome", "refused"), ("error_type", "model_not_found")));
        Assert.NotEmpty(scrape.Find("gateway_cache_lookups_total", ("gateway_outcome", "hit")));
        Assert.NotEmpty(scrape.Find("gateway_upstream_retries_total", ("gateway_model", "gpt-4.1")));
        Assert.DoesNotContain(scrape.Samples, s => s.Name.StartsWith("orleans_messaging_sent_messages_size", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ByDefaultAspNetCoresPerRequestInstrumentsAreLeftOutAndTheGatewaysCountEveryRequest()
    {
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        using (var client = gateway.CreateTenantClient(key))
        {
            await MetricsTraffic.ExpectAsync(client, new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 2 }, HttpStatusCode.OK);
        }

        var scrape = await PrometheusScrape.ScrapeAsync(gateway);

        Assert.DoesNotContain(scrape.Samples, s => s.Name.StartsWith("http_server_", StringComparison.Ordinal));
        Assert.NotEmpty(scrape.Find("gateway_requests_total", ("gateway_outcome", "served")));
        Assert.NotEmpty(scrape.Find("gateway_added_time_seconds_count"));
    }

    [Fact]
    public async Task AnotherHostGoingAwayLeavesThisHostsOrleansAndAspNetCoreSeries()
    {
        var host = WithHttpServerMetrics();
        await host.InitializeAsync();
        try
        {
            var (_, key) = await host.CreateTenantWithKeyAsync();
            using (var client = host.CreateTenantClient(key))
            {
                await MetricsTraffic.ExpectAsync(client, new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 2 }, HttpStatusCode.OK);
            }

            var before = HostSeries(await PrometheusScrape.ScrapeAsync(host));

            // Another host of this process, with instruments of the same names in meters its own meter factory made, goes away.
            var other = WithHttpServerMetrics();
            try
            {
                await other.InitializeAsync();
                using var client = other.CreateAdminClient();
                using var scraped = await client.GetAsync("/metrics");
                Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
            }
            finally
            {
                await ((IAsyncLifetime)other).DisposeAsync();
            }

            // OpenTelemetry exports an ended metric once more: the second scrape after is the one that would miss it.
            await PrometheusScrape.ScrapeAsync(host);
            var after = HostSeries(await PrometheusScrape.ScrapeAsync(host));

            Assert.Contains(before, name => name.StartsWith("orleans_", StringComparison.Ordinal));
            Assert.Contains("http_server_request_duration_seconds_count", before);
            Assert.Empty(before.Except(after));
        }
        finally
        {
            await ((IAsyncLifetime)host).DisposeAsync();
        }
    }

    private static GatewayFactory WithHttpServerMetrics()
    {
        var factory = new GatewayFactory();
        factory.Settings["Gateway:Telemetry:HttpServerMetrics"] = "true";
        return factory;
    }

    private static HashSet<string> HostSeries(PrometheusScrape scrape) =>
        scrape.Samples.Select(s => s.Name).Where(n => n.StartsWith("orleans_", StringComparison.Ordinal) || n.StartsWith("http_server_", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// What Orleans records for every message between two processes (which the embedded gateway has none of, but a test
    /// cluster in this process may have): a message-size histogram labelled in camel case, which promtool refuses.
    /// </summary>
    private static void RecordOrleansMessageSizes()
    {
        using var meter = new System.Diagnostics.Metrics.Meter("Microsoft.Orleans");
        meter.CreateHistogram<int>("orleans-messaging-sent-messages-size", "bytes").Record(
            512, new("ConnectionDirection", "SiloToSilo"), new("MessageDirection", "Request"), new("silo", "S127.0.0.1:11111:1"));
    }
}
