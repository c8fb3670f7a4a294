using System.Net;
using Gateway.Grains;
using Gateway.Grains.Caching;
using Gateway.Grains.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace Gateway.Hosting;

/// <summary>A silo in one of the gateway's processes: its clustering, storage and dashboard, and how it starts beside the host.</summary>
public static class GatewaySiloExtensions
{
    private const string OrleansSiloHostedService = "Orleans.Hosting.SiloHostedService";

    /// <summary>How long a silo's gateway keeps a client that disconnected from it (Orleans' default: a minute).</summary>
    internal static readonly TimeSpan ClientDropTimeout = TimeSpan.FromSeconds(2);

    /// <summary>A silo hosting the gateway's grains: clustering, storage, dashboard and what the grains use.</summary>
    public static ISiloBuilder AddGatewaySilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var hosting = SiloHostingOptions.From(configuration);
        silo.Services.AddSingleton<SiloJoinState>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloJoinState>());
        if (hosting.Clustering == ClusteringKind.Redis)
        {
            silo.UseRedisClustering(SiloHostingOptions.RequiredConnectionString(configuration, "Redis", "Redis clustering"));
            silo.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RedisMembershipConnector>(sp, hosting.JoinRetryMaxDelay));
            silo.Services.AddOptions<RedisClusteringOptions>().Configure<RedisMembershipConnector>((options, connector) => options.CreateMultiplexer = connector.ConnectAsync);
            silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (hosting.ClusterId, hosting.ServiceId));
            silo.ConfigureEndpoints(IPAddress.Parse(hosting.AdvertisedIPAddress), hosting.SiloPort, hosting.GatewayPort, listenOnAnyHostAddress: true);

            // How fast a dead silo is declared dead (and its grains reactivate elsewhere): Orleans' defaults unless set.
            silo.Configure<ClusterMembershipOptions>(configuration.GetSection(SiloHostingOptions.Section + ":Membership"));

            // A cluster on Redis shares the tenants' response caches there too, unless Gateway:Cache:Store says otherwise.
            silo.Services.PostConfigure<ResponseCacheOptions>(options => options.Store ??= ResponseCacheStoreKind.Redis);
        }
        else
        {
            silo.UseLocalhostClustering(hosting.SiloPort, hosting.GatewayPort, serviceId: hosting.ServiceId, clusterId: hosting.ClusterId);
        }

        // A frontend that left this silo's gateway (a frontend closes its connections to a silo that is shutting down) is
        // forgotten here after seconds, not Orleans' minute: until then the gateway queues what is sent to the frontend
        // through it, waiting for a reconnection that never comes (a draining worker's pushes timed out 5 s at a time).
        // Forgotten, the queued messages are refused (a push is sent again) and the next ones take the frontend's route
        // through another silo.
        silo.Configure<SiloMessagingOptions>(o => o.ClientDropTimeout = ClientDropTimeout);

        if (GatewayDashboardOptions.From(configuration).Enabled)
        {
            silo.AddDashboard();
        }

        // Grain calls carry the caller's trace context, so one trace runs from the frontend through the grains.
        silo.AddGrainCallTracing();
        silo.Services.AddGatewayAdminKey();
        silo.Services.AddSingleton(sp => new LocalDeploymentHealth(sp.GetRequiredService<DeploymentHealth>(), sp.GetRequiredService<ILocalSiloDetails>()));
        if (hosting.Storage == StorageKind.PostgreSql)
        {
            var connectionString = SiloHostingOptions.RequiredConnectionString(configuration, "Gateway", "PostgreSQL storage");
            silo.AddPostgreSqlLedger(connectionString);
            silo.AddGatewayGrains(storage => silo.AddPostgreSqlGrainStorage(storage, connectionString));
            silo.AddPostgreSqlSchemaMigration(connectionString);
            return silo;
        }

        return silo.AddGatewayGrains();
    }

    /// <summary>
    /// Lets the host (and so <c>/health/live</c> and <c>/health/ready</c>) run while the silo starts, instead of after it;
    /// a silo whose start fails is reported and ends the process with exit code 1 (<see cref="SiloStartSupervisor"/>).
    /// For a process whose only work is the silo: an embedded frontend would take requests before its silo is up.
    /// Call it last in the silo's configuration: hosted services registered before the call and after the silo's own
    /// still start after the silo.
    /// </summary>
    /// <remarks>
    /// Orleans registers its silo as an internal hosted service and has no supported hook for starting it without holding
    /// up the host's start (<c>HostOptions.ServicesStartConcurrently</c> would also start the services that need the silo
    /// before it), so its registration is found by type name, and a changed name fails loudly at start.
    /// </remarks>
    public static ISiloBuilder StartBesideHost(this ISiloBuilder silo, IConfiguration configuration)
    {
        var services = silo.Services;
        var hosted = services.Where(d => d.ServiceType == typeof(IHostedService) && !d.IsKeyedService).ToList();
        var orleansSilo = hosted.FindIndex(d => d.ImplementationType?.FullName == OrleansSiloHostedService);
        if (orleansSilo < 0)
        {
            throw new InvalidOperationException($"No {OrleansSiloHostedService} registration found: this Orleans version hosts its silo differently, so StartBesideHost needs revisiting.");
        }

        var dependents = hosted[(orleansSilo + 1)..];
        foreach (var dependent in dependents)
        {
            services.Remove(dependent);
        }

        // In the silo's place, so that the hosted services before it still start before it and stop after it.
        var exitDelay = SiloHostingOptions.From(configuration).StartFailureExitDelay;
        services[services.IndexOf(hosted[orleansSilo])] = ServiceDescriptor.Singleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<SiloStartSupervisor>(
            sp, Resolve(sp, hosted[orleansSilo]), dependents.Select(d => Resolve(sp, d)).ToList(), exitDelay));
        return silo;

        static IHostedService Resolve(IServiceProvider sp, ServiceDescriptor descriptor) => (IHostedService)(
            descriptor.ImplementationInstance ?? descriptor.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!));
    }
}
