using System.Diagnostics;
using Gateway.Catalog;
using Gateway.Grains;
using Gateway.Grains.Tenants;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Real PostgreSQL and Redis on loopback, started by the project's own <c>scripts/deps.sh</c> in a folder of their
/// own (with the schema applied) and stopped again when the tests are done.
/// </summary>
public sealed class RealServersFixture : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "gateway-test-deps-" + Guid.NewGuid().ToString("N")[..8]);

    public string PostgreSql { get; private set; } = "";

    public string Redis { get; private set; } = "";

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public async Task InitializeAsync()
    {
        var output = await RunAsync("start");
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = line.IndexOf('=');
            switch (separator > 0 ? line[..separator] : "")
            {
                case "ConnectionStrings__Gateway": PostgreSql = line[(separator + 1)..].Trim('\''); break;
                case "ConnectionStrings__Redis": Redis = line[(separator + 1)..].Trim('\''); break;
            }
        }

        Assert.True(PostgreSql.Length > 0 && Redis.Length > 0, $"scripts/deps.sh start printed no connection strings: {output}");
    }

    public async Task DisposeAsync() => await RunAsync("stop");

    /// <summary>
    /// An in-process cluster whose grains keep their state and ledger in this PostgreSQL; clusters started with the
    /// same <paramref name="serviceId"/> share that state, as a restarted deployment does.
    /// </summary>
    public async Task<InProcessTestCluster> StartClusterAsync(string serviceId, TimeProvider clock, TimeSpan? stateFlushInterval = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = serviceId;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
            silo.AddPostgreSqlLedger(PostgreSql);
            silo.AddGatewayGrains(name => silo.AddPostgreSqlGrainStorage(name, PostgreSql));
            silo.Services.AddKeyedSingleton(GatewayClock.Key, clock);
            if (stateFlushInterval is { } interval)
            {
                silo.Services.Configure<TenantGrainOptions>(o => o.StateFlushInterval = interval);
            }
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }


    private async Task<string> RunAsync(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot, "scripts", "deps.sh"), command, _folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Expect.Equal(0, process.ExitCode, $"scripts/deps.sh {command} failed: {await stderr}");
        return await stdout;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Orleans.sln above {AppContext.BaseDirectory}.");
    }
}

[CollectionDefinition(Name)]
public sealed class RealServersCollection : ICollectionFixture<RealServersFixture>
{
    public const string Name = "real-servers";
}
