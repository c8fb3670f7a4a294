using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.MockProvider;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real deployment on loopback: silo and frontend processes (the built <c>Gateway.Silo</c> and
/// <c>Gateway.ApiFrontend</c>) joined through Redis, state and ledger in PostgreSQL, in front of a mock provider.
/// Every process it starts it ends, by PID.
/// </summary>
public sealed class GatewayProcesses : IAsyncDisposable
{
    public const string AdminKey = "adm-processes-0123456789abcdef";

    private static readonly string BuildFolder = Path.GetRelativePath(
        Path.Combine(RealServersFixture.RepositoryRoot, "tests", "Gateway.Tests"), AppContext.BaseDirectory);

    private readonly RealServersFixture _servers;
    private readonly string _clusterId = "c-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<Process> _processes = [];
    private WebApplication? _mock;

    private GatewayProcesses(RealServersFixture servers) => _servers = servers;

    public List<GatewayProcess> Silos { get; } = [];

    public List<GatewayProcess> Frontends { get; } = [];

    public MockProviderStats MockStats => (MockProviderStats)_mock!.Services.GetService(typeof(MockProviderStats))!;

    /// <summary>The mock's gate: closed, it parks every request that reaches the provider.</summary>
    public MockHold MockHold => (MockHold)_mock!.Services.GetService(typeof(MockHold))!;

    /// <summary>An Orleans client of this deployment's cluster (for management calls); dispose it when done.</summary>
    public async Task<IHost> ConnectClientAsync()
    {
        var host = new HostBuilder()
            .UseOrleansClient(client =>
            {
                client.UseRedisClustering(_servers.Redis);
                client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (_clusterId, _clusterId));
            })
            .Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Starts one more silo into the running cluster and waits until it is ready.</summary>
    public async Task<GatewayProcess> AddSiloAsync()
    {
        var silo = Start("Silo", Silos.Count);
        Silos.Add(silo);
        await silo.WaitReadyAsync();
        return silo;
    }

    /// <summary>Sends SIGTERM, as Kubernetes does, and waits (bounded) for the process to finish its shutdown.</summary>
    public static async Task StopGracefullyAsync(GatewayProcess process)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.Process.WaitForExitAsync(deadline.Token);
    }

    /// <summary>The silo process listening on <paramref name="silo"/>'s silo port.</summary>
    public GatewayProcess SiloAt(SiloAddress silo) => Silos.Single(s => s.SiloPort == silo.Endpoint.Port);

    public static async Task<GatewayProcesses> StartAsync(RealServersFixture servers, int silos, int frontends)
    {
        var deployment = new GatewayProcesses(servers);
        deployment._mock = MockProviderServer.Create(new MockProviderOptions { Url = "http://127.0.0.1:0" });
        await deployment._mock.StartAsync();
        for (var i = 0; i < silos; i++)
        {
            deployment.Silos.Add(deployment.Start("Silo", i));
        }

        await Task.WhenAll(deployment.Silos.Select(s => s.WaitReadyAsync()));
        for (var i = 0; i < frontends; i++)
        {
            deployment.Frontends.Add(deployment.Start("ApiFrontend", i));
        }

        await Task.WhenAll(deployment.Frontends.Select(f => f.WaitReadyAsync()));
        return deployment;
    }

    private GatewayProcess Start(string project, int index)
    {
        var httpPort = FreePorts.Next();
        var siloPort = FreePorts.Next();
        var dll = Path.Combine(RealServersFixture.RepositoryRoot, "src", project, BuildFolder, $"Gateway.{project}.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{httpPort}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        var mock = _mock!.GetBaseAddress();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Gateway__AdminKey"] = AdminKey,
            ["Gateway__Mode"] = "Client",
            ["MockProvider__Enabled"] = "false",
            ["Cluster__Clustering"] = "Redis",
            ["Cluster__Storage"] = "PostgreSql",
            ["Cluster__ClusterId"] = _clusterId,
            ["Cluster__ServiceId"] = _clusterId,
            ["Cluster__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster__GatewayPort"] = FreePorts.Next().ToString(),
            ["ConnectionStrings__Gateway"] = _servers.PostgreSql,
            ["ConnectionStrings__Redis"] = _servers.Redis,

            // A killed silo is declared dead within a few seconds rather than Orleans' production-minded default.
            ["Cluster__Membership__ProbeTimeout"] = "00:00:01",
            ["Cluster__Membership__NumMissedProbesLimit"] = "2",
            ["Cluster__Membership__NumVotesForDeathDeclaration"] = "1",
        };
        foreach (var provider in new[] { "openai", "anthropic", "gemini", "deepseek" })
        {
            environment[$"Providers__{provider}__BaseUrl"] = new Uri(mock, "v1").ToString();
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, line) => Keep(log, line.Data);
        process.ErrorDataReceived += (_, line) => Keep(log, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return new GatewayProcess($"{project}#{index}", process, new Uri($"http://127.0.0.1:{httpPort}/"), siloPort, log);
    }

    // The last lines a process wrote (warnings and errors: the processes log at Warning), for a failing test to show.
    private static void Keep(System.Collections.Concurrent.ConcurrentQueue<string> log, string? line)
    {
        if (line is null)
        {
            return;
        }

        log.Enqueue(line);
        while (log.Count > 2_000 && log.TryDequeue(out _))
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }

        if (_mock is not null)
        {
            await _mock.DisposeAsync();
        }
    }
}

/// <summary>One started process and where it answers HTTP.</summary>
public sealed record GatewayProcess(string Name, Process Process, Uri Address, int SiloPort, IReadOnlyCollection<string> Log)
{
    public HttpClient CreateClient(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(120) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    /// <summary>Creates a platinum tenant with <paramref name="fields"/> and one key, through this frontend's admin API.</summary>
    public async Task<(string TenantId, string Key)> CreateTenantAsync(object fields)
    {
        var tenantId = "t-" + Guid.NewGuid().ToString("N")[..12];
        var body = System.Text.Json.JsonSerializer.SerializeToNode(fields)!.AsObject();
        body["id"] = tenantId;
        body["tier"] = "platinum";
        using var admin = CreateClient(GatewayProcesses.AdminKey);
        var created = await admin.PostAsJsonAsync("/admin/tenants", body);
        Assert.True(created.StatusCode == System.Net.HttpStatusCode.Created, $"Creating {tenantId}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var key = await (await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null)).Content.ReadFromJsonAsync<JsonObject>();
        return (tenantId, key!["key"]!.GetValue<string>());
    }

    /// <summary>The tenant's <c>/admin/tenants/{id}/usage</c>.</summary>
    public async Task<JsonObject> UsageAsync(string tenantId)
    {
        using var admin = CreateClient(GatewayProcesses.AdminKey);
        return (await admin.GetFromJsonAsync<JsonObject>($"/admin/tenants/{tenantId}/usage"))!;
    }

    /// <summary>Waits (bounded) until the process reports ready: its cluster answers a grain call.</summary>
    public async Task WaitReadyAsync()
    {
        using var client = CreateClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            Assert.False(Process.HasExited, $"{Name} exited with code {(Process.HasExited ? Process.ExitCode : 0)} while starting.");
            try
            {
                if ((await client.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"{Name} did not become ready within 90 s.");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
