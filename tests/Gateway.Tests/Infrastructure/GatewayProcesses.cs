using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
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
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly string _clusterId = "c-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<Process> _processes = [];
    private WebApplication? _mock;

    private GatewayProcesses(RealServersFixture servers, IReadOnlyDictionary<string, string>? settings)
    {
        _servers = servers;
        _settings = settings ?? new Dictionary<string, string>();
    }

    public List<GatewayProcess> Silos { get; } = [];

    public List<GatewayProcess> Frontends { get; } = [];

    public MockProviderStats MockStats => (MockProviderStats)_mock!.Services.GetService(typeof(MockProviderStats))!;

    /// <summary>The mock's deployments: its top-level routes (<see cref="MockDeployments.Default"/>, which the providers point at) and named ones.</summary>
    public MockDeployments MockDeployments => (MockDeployments)_mock!.Services.GetService(typeof(MockDeployments))!;

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

    /// <summary>Asserts that each tenant's usage equals, to the token, what the mock served for it (its <c>user</c> tag).</summary>
    public async Task AssertChargedWhatTheMockServedAsync(IEnumerable<string> tenantIds)
    {
        foreach (var id in tenantIds)
        {
            var served = MockStats.ByUser[id];
            var usage = await Frontends[0].UsageAsync(id);
            Assert.Equal(served.Requests, usage["requests"]!.GetValue<long>());
            Assert.Equal(served.PromptTokens, usage["inputTokens"]!.GetValue<long>());
            Assert.Equal(served.CompletionTokens, usage["outputTokens"]!.GetValue<long>());
        }
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

    /// <summary>
    /// Starts the silos, waits until they are ready, then the frontends; <paramref name="settings"/> (environment
    /// names, <c>Cluster__...</c>) add to or override what every process is given.
    /// </summary>
    public static async Task<GatewayProcesses> StartAsync(RealServersFixture servers, int silos, int frontends, IReadOnlyDictionary<string, string>? settings = null)
    {
        var deployment = new GatewayProcesses(servers, settings);
        deployment._mock = MockProviderServer.Create(new MockProviderOptions { Url = "http://127.0.0.1:0" });
        await deployment._mock.StartAsync();
        for (var i = 0; i < silos; i++)
        {
            deployment.StartSilo();
        }

        await Task.WhenAll(deployment.Silos.Select(s => s.WaitReadyAsync()));
        for (var i = 0; i < frontends; i++)
        {
            deployment.Frontends.Add(deployment.Start("ApiFrontend", i));
        }

        await Task.WhenAll(deployment.Frontends.Select(f => f.WaitReadyAsync()));
        return deployment;
    }

    /// <summary>Starts one more silo without waiting for it, with <paramref name="settings"/> over the deployment's.</summary>
    public GatewayProcess StartSilo(IReadOnlyDictionary<string, string>? settings = null)
    {
        var silo = Start("Silo", Silos.Count, settings);
        Silos.Add(silo);
        return silo;
    }

    private GatewayProcess Start(string project, int index, IReadOnlyDictionary<string, string>? settings = null)
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
            ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Gateway__AdminKey"] = AdminKey,
            ["Gateway__Frontend__Mode"] = "Client",
            ["MockProvider__Enabled"] = "false",
            ["Cluster__Clustering"] = "Redis",
            ["Cluster__Storage"] = "PostgreSql",
            ["Cluster__ClusterId"] = _clusterId,
            ["Cluster__ServiceId"] = _clusterId,
            ["Cluster__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster__GatewayPort"] = FreePorts.Next().ToString(),
            ["ConnectionStrings__Gateway"] = _servers.PostgreSql,
            ["ConnectionStrings__Redis"] = _servers.Redis,

            // A killed silo is declared dead within ~10 s rather than Orleans' production-minded default, with two votes,
            // so a silo slow to start under a loaded CI box is not evicted by one peer. A lost call's release no longer
            // needs the death declared first: the frontend retries it until the tenant's new activation takes it.
            ["Cluster__Membership__ProbeTimeout"] = "00:00:02",
            ["Cluster__Membership__NumMissedProbesLimit"] = "3",
            ["Cluster__Membership__NumVotesForDeathDeclaration"] = "2",
        };
        foreach (var provider in new[] { "openai", "deepseek" })
        {
            environment[$"Providers__{provider}__BaseUrl"] = new Uri(mock, "v1").ToString();
        }

        // Kinds anthropic and gemini: the host root, where the mock serves /v1/messages and /v1beta/models/….
        foreach (var provider in new[] { "anthropic", "gemini" })
        {
            environment[$"Providers__{provider}__BaseUrl"] = mock.ToString();
        }

        foreach (var (name, value) in environment.Concat(_settings).Concat(settings ?? new Dictionary<string, string>()))
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        var output = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, line) => output.Enqueue(line.Data ?? "");
        process.ErrorDataReceived += (_, line) => output.Enqueue(line.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return new GatewayProcess($"{project}#{index}", process, new Uri($"http://127.0.0.1:{httpPort}/"), siloPort, output);
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

/// <summary>One started process, where it answers HTTP, its silo port (silos), and what it has written to its console (its log).</summary>
public sealed record GatewayProcess(string Name, Process Process, Uri Address, int SiloPort, ConcurrentQueue<string> Output)
{
    public bool HasLogged(string text) => Output.Any(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>The last <paramref name="lines"/> lines the process wrote, for a failure message.</summary>
    public string Tail(int lines) => string.Join('\n', Output.TakeLast(lines));

    /// <summary>Through this frontend's admin API: a tenant of <paramref name="tier"/> with <paramref name="fields"/>, and a key for it.</summary>
    public async Task<(string TenantId, string Key)> CreateTenantAsync(object fields, string tier = "platinum")
    {
        var tenantId = "t-" + Guid.NewGuid().ToString("N")[..12];
        var body = JsonSerializer.SerializeToNode(fields)!.AsObject();
        body["id"] = tenantId;
        body["tier"] = tier;
        using var admin = CreateClient(GatewayProcesses.AdminKey);
        var created = await admin.PostAsJsonAsync("/admin/tenants", body);
        Expect.Equal(HttpStatusCode.Created, created.StatusCode, $"Creating {tenantId}: {await created.Content.ReadAsStringAsync()}");
        var key = await (await admin.PostAsync($"/admin/tenants/{tenantId}/keys", null)).Content.ReadFromJsonAsync<JsonObject>();
        return (tenantId, key!["key"]!.GetValue<string>());
    }

    public HttpClient CreateClient(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(120) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
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
            if (Process.HasExited)
            {
                Process.WaitForExit(); // drains what it wrote last
                Assert.Fail($"{Name} exited with code {Process.ExitCode} while starting. Its last lines:\n{Tail(40)}");
            }

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

            Assert.True(DateTime.UtcNow < deadline, $"{Name} did not become ready within 90 s. Its last lines:\n{Tail(40)}");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
