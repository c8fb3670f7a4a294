using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Catalog;
using Gateway.MockProvider;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The embedded gateway (frontend + co-hosted silo) on Kestrel on a loopback port, so requests cross a real
/// socket (a client hanging up is seen as it is in production), in front of a real mock provider on another port, with the gateway's clock under the test's control. Shared by the HTTP tests, which isolate
/// themselves by tenant.
/// </summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminKey = "adm-test-0123456789abcdef";

    private WebApplication? _mock;

    public WatchedClock Clock { get; } = new();

    /// <summary>
    /// Configuration over the test defaults, for a gateway a test starts for itself (set before starting). <c>{mock}</c>
    /// in a value stands for the mock's base address without its trailing slash, known only once the mock runs:
    /// <c>["Providers:a:BaseUrl"] = "{mock}/d/a/v1"</c> makes provider <c>a</c> the mock's deployment <c>a</c>.
    /// </summary>
    public Dictionary<string, string> Settings { get; } = [];

    /// <summary>
    /// The gateway's clock is the system clock instead of <see cref="Clock"/> (set before starting): for behaviour measured
    /// in real time, such as latency. <see cref="Clock"/> then drives nothing.
    /// </summary>
    public bool UseSystemClock { get; set; }

    public MockProviderOptions MockOptions { get; } = new() { Url = "http://127.0.0.1:0" };

    /// <summary>A second loopback port the gateway listens on besides its own (set before starting), such as a management port.</summary>
    public int? ExtraPort { get; set; }

    /// <summary>A logger provider that also receives the gateway's logs, at every level (set before starting).</summary>
    public ILoggerProvider? LogCapture { get; set; }

    /// <summary>Services a test adds to the gateway's own, after them (set before starting).</summary>
    public Action<IServiceCollection>? TestServices { get; set; }

    public MockProviderStats MockStats => _mock!.Services.GetRequiredService<MockProviderStats>();

    public MockFaultQueue MockFaults => _mock!.Services.GetRequiredService<MockFaultQueue>();

    /// <summary>The mock's named deployments (<c>/d/{name}/</c>), each with its own faults, stats and delays.</summary>
    public MockDeployments MockDeployments => _mock!.Services.GetRequiredService<MockDeployments>();

    /// <summary>The mock's gate, shared by all its deployments: while closed, chat completions wait at the mock.</summary>
    public MockHold MockHold => _mock!.Services.GetRequiredService<MockHold>();

    public Uri MockAddress { get; private set; } = null!;

    /// <summary>Where the gateway listens.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _mock = MockProviderServer.Create(MockOptions);
        await _mock.StartAsync();
        MockAddress = _mock.GetBaseAddress();
        UseKestrel(options =>
        {
            options.Listen(System.Net.IPAddress.Loopback, 0);
            if (ExtraPort is { } extra)
            {
                options.Listen(System.Net.IPAddress.Loopback, extra);
            }
        });
        StartServer();
        var addresses = Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First(a => ExtraPort is not { } extra || new Uri(a).Port != extra));
        ClientOptions.BaseAddress = BaseAddress;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (_mock is not null)
        {
            await _mock.DisposeAsync();
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Gateway:AdminKey", AdminKey);
        builder.UseSetting("Gateway:Frontend:Mode", "Embedded");
        builder.UseSetting("Cluster:SiloPort", FreePorts.Next().ToString());
        builder.UseSetting("Cluster:GatewayPort", FreePorts.Next().ToString());
        builder.UseSetting("Cluster:ClusterId", "test-" + Guid.NewGuid().ToString("N"));
        foreach (var provider in new[] { "openai", "deepseek" })
        {
            builder.UseSetting($"Providers:{provider}:BaseUrl", new Uri(MockAddress, "v1").ToString());
        }

        // Kinds anthropic and gemini: the host root, where the mock serves /v1/messages and /v1beta/models/….
        builder.UseSetting("Providers:anthropic:BaseUrl", MockAddress.ToString());
        builder.UseSetting("Providers:gemini:BaseUrl", MockAddress.ToString());

        // Retries back off on the gateway's clock, which the tests hold still: no backoff unless a test asks for it.
        builder.UseSetting("Gateway:Upstream:Retry:BaseDelay", "00:00:00");
        builder.UseSetting("Gateway:Upstream:Retry:MaxDelay", "00:00:00");

        // The shared gateway serves every HTTP test through the same deployments: one test's failures must not open a
        // circuit for the next. Breaker tests start a gateway of their own with the defaults.
        builder.UseSetting("Gateway:Upstream:CircuitBreaker:MinimumThroughput", "1000000");
        // Freed slots are handed on paced by the gateway's clock too: held still, a burst would wait for good. The pacing's
        // own tests drive the clock (DeploymentQueueTests), the fairness benchmark and the process tests run on real time.
        if (!UseSystemClock)
        {
            builder.UseSetting("Gateway:Scheduling:Pacing", "0");
        }

        var mock = MockAddress.ToString().TrimEnd('/');
        foreach (var (name, value) in Settings)
        {
            builder.UseSetting(name, value.Replace("{mock}", mock, StringComparison.Ordinal));
        }

        if (LogCapture is { } capture)
        {
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(capture));
        }

        if (!UseSystemClock)
        {
            builder.ConfigureTestServices(services => services.AddKeyedSingleton<TimeProvider>(GatewayClock.Key, Clock));
        }

        if (TestServices is { } configure)
        {
            builder.ConfigureTestServices(configure);
        }
    }

    /// <summary>An HTTP client carrying the admin key.</summary>
    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    /// <summary>An HTTP client carrying a tenant key.</summary>
    public HttpClient CreateTenantClient(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Creates a tenant with a fresh id (merged over <paramref name="fields"/>) and one key; returns both.</summary>
    public async Task<(string TenantId, string Key)> CreateTenantWithKeyAsync(object? fields = null)
    {
        var tenantId = "t-" + Guid.NewGuid().ToString("N")[..12];
        var body = JsonSerializer.SerializeToNode(fields ?? new { tier = "gold" })!.AsObject();
        body["id"] = tenantId;
        body.TryAdd("tier", "gold");

        using var admin = CreateAdminClient();
        var created = await admin.PostAsJsonAsync("/admin/tenants", body);
        Assert.True(created.IsSuccessStatusCode, $"Creating tenant {tenantId} failed: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var key = await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null);
        Assert.True(key.IsSuccessStatusCode, $"Creating a key for {tenantId} failed: {(int)key.StatusCode}");
        var json = await key.Content.ReadFromJsonAsync<JsonObject>();
        return (tenantId, json!["key"]!.GetValue<string>());
    }

    /// <summary>The tenant's usage as the admin API reports it.</summary>
    public async Task<JsonObject> GetUsageAsync(string tenantId)
    {
        using var admin = CreateAdminClient();
        var usage = await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/usage");
        return usage!;
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFactory>
{
    public const string Name = "gateway";
}
