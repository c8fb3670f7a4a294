using System.Net;
using System.Text;
using Gateway.Grains.Caching;
using Gateway.Grains.Ledger;
using Gateway.Grains.Models;
using Gateway.Grains.Providers;
using Gateway.Grains.Routing;
using Gateway.Grains.Storage;
using Gateway.Grains.Tenants;
using Gateway.Grains.Upstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using Orleans.Dashboard;
using StackExchange.Redis;

namespace Gateway.Grains.Hosting;

/// <summary>Wiring shared by every host: the catalogs both frontends and silos read, the silo itself, health and dashboard.</summary>
public static class GatewayHostingExtensions
{
    public const string DashboardPath = "/dashboard";

    private const string OrleansSiloHostedService = "Orleans.Hosting.SiloHostedService";

    /// <summary>
    /// Model catalog, tiers and admin key: what frontends and silos both need. Registered once however often it is called:
    /// an embedded frontend calls it for itself and again for its silo, and binding the configuration twice into the same
    /// options would append every list twice (each model's deployments, fallbacks and aliases).
    /// </summary>
    public static IServiceCollection AddGatewayCatalogs(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(CatalogsAdded)))
        {
            return services;
        }

        services.AddSingleton<CatalogsAdded>();
        services.TryAddKeyedSingleton(GatewayClock.Key, TimeProvider.System);
        // The process's own clock, for retries that wait on the cluster or a database (Orleans registers the same where it runs).
        services.TryAddSingleton(TimeProvider.System);
        services.BindEntries<ModelCatalogOptions>(ModelCatalogOptions.Section, options => options.Models);
        services.AddSingleton<IValidateOptions<ModelCatalogOptions>, ModelCatalogOptionsValidator>();
        services.BindEntries<TierCatalogOptions>(TierCatalogOptions.Section, options => options.Tiers);
        services.AddSingleton<IValidateOptions<TierCatalogOptions>, TierCatalogOptionsValidator>();
        services.AddOptions<AdminKeyOptions>().BindConfiguration(AdminKeyOptions.Section);
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<AdminKeyVerifier>();
        return services;
    }

    /// <summary>
    /// Options whose section is a set of named entries (models, tiers, providers): the section binds into the dictionary
    /// <paramref name="entries"/> returns, is validated at start, and is read again when the configuration changes.
    /// </summary>
    private static void BindEntries<TOptions>(this IServiceCollection services, string section, Func<TOptions, object> entries)
        where TOptions : class
    {
        services.AddOptions<TOptions>().Configure<IConfiguration>((options, config) => config.GetSection(section).Bind(entries(options))).ValidateOnStart();
        services.AddSingleton<IOptionsChangeTokenSource<TOptions>>(sp => new ConfigurationChangeTokenSource<TOptions>(sp.GetRequiredService<IConfiguration>().GetSection(section)));
    }

    /// <summary>Marks a service collection that <see cref="AddGatewayCatalogs"/> has registered its services in.</summary>
    private sealed class CatalogsAdded;

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
        }
        else
        {
            silo.UseLocalhostClustering(hosting.SiloPort, hosting.GatewayPort, serviceId: hosting.ServiceId, clusterId: hosting.ClusterId);
        }

        silo.AddDashboard();
        if (hosting.Storage == StorageKind.PostgreSql)
        {
            var connectionString = SiloHostingOptions.RequiredConnectionString(configuration, "Gateway", "PostgreSQL storage");
            silo.AddPostgreSqlLedger(connectionString);
            silo.AddGatewayGrains(storage => silo.AddPostgreSqlGrainStorage(storage, connectionString));
            silo.Services.AddSingleton<SchemaMigrator>();
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new SchemaMigrationParticipant(sp.GetRequiredService<SchemaMigrator>(), connectionString));
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

    /// <summary>The grains' storage (memory unless <paramref name="addStorage"/> says otherwise) and services, without clustering (test clusters bring their own).</summary>
    public static ISiloBuilder AddGatewayGrains(this ISiloBuilder silo, Action<string>? addStorage = null)
    {
        // In memory, state is kept in Orleans' compact binary form rather than the default JSON (a third of the bytes
        // per tenant; the embedded default holds every tenant's state in the heap).
        addStorage ??= name => AddCompactMemoryGrainStorage(silo, name);
        addStorage(StorageNames.Tenants);
        addStorage(StorageNames.Keys);

        var services = silo.Services;
        services.TryAddSingleton<IUsageLedger, MemoryUsageLedger>();
        services.AddOptions<LedgerOptions>().BindConfiguration(LedgerOptions.Section);
        services.AddGatewayCatalogs();
        services.AddOptions<TenantGrainOptions>().BindConfiguration(TenantGrainOptions.Section);
        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpstreamOptions>, UpstreamOptionsValidator>();
        services.AddSingleton<UpstreamDrain>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<UpstreamDrain>());
        services.AddPlacementDirector<LocalUnlessDrainingPlacement, LocalUnlessDrainingPlacementDirector>();
        services.AddSingleton<SettlementRetry>();
        services.AddOptions<DeploymentCapacityOptions>().BindConfiguration(DeploymentCapacityOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeploymentCapacityOptions>, DeploymentCapacityOptionsValidator>();
        services.AddSingleton<DeploymentCapacity>();
        services.BindEntries<ProviderCatalogOptions>(ProviderCatalogOptions.Section, options => options.Providers);
        services.AddSingleton<IValidateOptions<ProviderCatalogOptions>, ProviderCatalogOptionsValidator>();
        services.TryAddSingleton<ProviderClients>();
        services.TryAddSingleton<DeploymentHealth>();
        services.AddSingleton<DeploymentStatusPublisher>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DeploymentStatusPublisher>());
        services.TryAddSingleton<UpstreamCaller>();
        services.TryAddSingleton<GrainReferences>();
        services.AddResponseCache();
        return silo;
    }

    /// <summary>
    /// The tenants' response caches: in Redis (<c>ConnectionStrings:Redis</c>) shared by every silo when
    /// <c>Gateway:Cache:Store</c> says so or, unset, when the cluster runs on Redis; else in this silo's memory.
    /// </summary>
    private static void AddResponseCache(this IServiceCollection services)
    {
        services.AddOptions<ResponseCacheOptions>().BindConfiguration(ResponseCacheOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ResponseCacheOptions>, ResponseCacheOptionsValidator>();
        services.TryAddSingleton<IResponseCacheStore>(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var options = sp.GetRequiredService<IOptions<ResponseCacheOptions>>().Value;
            var time = sp.GetRequiredKeyedService<TimeProvider>(GatewayClock.Key);
            var kind = options.Store ?? (SiloHostingOptions.From(configuration).Clustering == ClusteringKind.Redis ? ResponseCacheStoreKind.Redis : ResponseCacheStoreKind.Memory);
            if (kind == ResponseCacheStoreKind.Memory)
            {
                return new MemoryResponseCacheStore(time, options.MemoryBytes);
            }

            var redis = ConfigurationOptions.Parse(SiloHostingOptions.RequiredConnectionString(configuration, "Redis", "the response cache in Redis"));
            redis.AbortOnConnectFail = false;
            redis.ConnectTimeout = (int)options.StoreTimeout.TotalMilliseconds;
            redis.SyncTimeout = redis.AsyncTimeout = (int)Math.Max(options.StoreTimeout.TotalMilliseconds, 100);
            return new RedisResponseCacheStore(async () => await ConnectionMultiplexer.ConnectAsync(redis), time);
        });
        services.AddSingleton<ResponseCache>();
    }

    /// <summary>Orleans ADO.NET grain storage on PostgreSQL (Npgsql), in the schema <see cref="SchemaMigrator"/> maintains.</summary>
    public static ISiloBuilder AddPostgreSqlGrainStorage(this ISiloBuilder silo, string name, string connectionString) =>
        silo.AddAdoNetGrainStorage(name, options =>
        {
            options.Invariant = "Npgsql";
            options.ConnectionString = connectionString;
        });

    /// <summary>The usage ledger on PostgreSQL, written in group commits by a hosted writer that drains at shutdown.</summary>
    private static void AddCompactMemoryGrainStorage(ISiloBuilder silo, string name) =>
        silo.AddMemoryGrainStorage(name, (OptionsBuilder<MemoryGrainStorageOptions> options) => options.Configure<Orleans.Serialization.Serializer>(
            (memory, serializer) => memory.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(serializer)));

    public static ISiloBuilder AddPostgreSqlLedger(this ISiloBuilder silo, string connectionString)
    {
        silo.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<PostgreSqlUsageLedger>(sp, connectionString));
        silo.Services.AddSingleton<IUsageLedger>(sp => sp.GetRequiredService<PostgreSqlUsageLedger>());
        // Started before grains run and stopped after they are deactivated, so a settlement during a graceful
        // shutdown still finds the ledger open and the drain writes it (a hosted service would stop before the silo).
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new UsageLedgerLifecycleParticipant(sp.GetRequiredService<PostgreSqlUsageLedger>()));
        return silo;
    }

    /// <summary><c>/health/live</c> (the process answers) and <c>/health/ready</c> (a grain call succeeds).</summary>
    public static IServiceCollection AddGatewayHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ClusterReadyHealthCheck>("cluster", tags: ["ready"]);
        return services;
    }

    public static IEndpointRouteBuilder MapGatewayHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = WriteReasonsAsync });
        return endpoints;
    }

    // The status, then why each failing check fails: descriptions only, since exceptions may quote connection settings.
    private static Task WriteReasonsAsync(HttpContext context, HealthReport report)
    {
        var text = new StringBuilder(report.Status.ToString());
        foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy))
        {
            text.Append('\n').Append(name).Append(": ").Append(entry.Description);
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text.ToString());
    }

    /// <summary>The Orleans dashboard at <c>/dashboard</c>: open in Development, behind the admin key elsewhere.</summary>
    public static WebApplication MapGatewayDashboard(this WebApplication app)
    {
        app.Services.GetRequiredService<AdminKeyVerifier>();
        if (!app.Environment.IsDevelopment())
        {
            app.UseWhen(
                context => context.Request.Path.StartsWithSegments(DashboardPath),
                branch => branch.UseMiddleware<DashboardAccessMiddleware>());
        }

        app.MapOrleansDashboard(routePrefix: DashboardPath);
        return app;
    }
}
