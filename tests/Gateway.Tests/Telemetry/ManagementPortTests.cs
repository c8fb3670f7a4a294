using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// <c>Gateway:Telemetry:ManagementPort</c>: in-cluster scrapers read <c>/metrics</c> there without the admin key; that port
/// serves nothing else but health, and every other port still wants the key.
/// </summary>
public sealed class ManagementPortTests : IAsyncLifetime
{
    private readonly GatewayFactory _gateway = new();
    private readonly int _port = FreePorts.Next();

    public async Task InitializeAsync()
    {
        _gateway.ExtraPort = _port;
        _gateway.Settings["Gateway:Telemetry:ManagementPort"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await _gateway.InitializeAsync();
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)_gateway).DisposeAsync();

    [Fact]
    public async Task TheManagementPortServesMetricsWithoutTheKeyAndNothingButMetricsAndHealth()
    {
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        using var main = PrometheusScrape.Anonymous(_gateway);

        var scrape = await PrometheusScrape.ScrapeAsync(management);
        using var models = await management.GetAsync("/v1/models");
        using var admin = await management.GetAsync("/admin/deployments");
        using var live = await management.GetAsync("/health/live");
        using var mainMetrics = await main.GetAsync("/metrics");

        Assert.Contains("target_info", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("orleans_", scrape.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, models.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, admin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, mainMetrics.StatusCode);
    }
}
