using System.Net;
using Gateway.Grains.Ledger;
using Gateway.Grains.Models;
using Gateway.Grains.Providers;
using Gateway.Grains.Storage;
using Gateway.Grains.Tenants;
using Gateway.Grains.Upstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace Gateway.Grains.Hosting;

/// <summary>Wiring shared by every host: the catalogs both frontends and silos read, the silo itself, health and dashboard.</summary>
public static class GatewayHostingExtensions
{
    public const string DashboardPath = "/dashboard";

    /// <summary>Model catalog, tiers and admin key: what frontends and silos both need.</summary>
    public static IServiceCollection AddGatewayCatalogs(this IServiceCollection services)
    {
        services.TryAddKeyedSingleton(GatewayClock.Key, TimeProvider.System);
        services.AddOptions<ModelCatalogOptions>().BindConfiguration(ModelCatalogOptions.Section);
        services.AddOptions<TierCatalogOptions>().BindConfiguration(TierCatalogOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TierCatalogOptions>, TierCatalogOptionsValidator>();
        services.AddOptions<AdminKeyOptions>().BindConfiguration(AdminKeyOptions.Section);
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<AdminKeyVerifier>();
        return services;
    }

    /// <summary>A silo hosting the gateway's grains: clustering, storage, dashboard and what the grains use.</summary>
    public static ISiloBuilder AddGatewaySilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var hosting = SiloHostingOptions.From(configuration);
        if (hosting.Clustering == ClusteringKind.Redis)
        {
            silo.UseRedisClustering(SiloHostingOptions.RequiredConnectionString(configuration, "Redis", "Redis clustering"));
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

    /// <summary>The grains' storage (memory unless <paramref name="addStorage"/> says otherwise) and services, without clustering (test clusters bring their own).</summary>
    public static ISiloBuilder AddGatewayGrains(this ISiloBuilder silo, Action<string>? addStorage = null)
    {
        addStorage ??= name => silo.AddMemoryGrainStorage(name);
        addStorage(StorageNames.Tenants);
        addStorage(StorageNames.Keys);

        var services = silo.Services;
        services.TryAddSingleton<IUsageLedger, MemoryUsageLedger>();
        services.AddOptions<LedgerOptions>().BindConfiguration(LedgerOptions.Section);
        services.AddGatewayCatalogs();
        services.AddOptions<TenantGrainOptions>().BindConfiguration(TenantGrainOptions.Section);
        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.Section);
        services.AddOptions<ProviderCatalogOptions>().Configure<IConfiguration>(
            (options, config) => config.GetSection(ProviderCatalogOptions.Section).Bind(options.Providers));
        services.AddHttpClient(ProviderClients.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Pooled connections are recycled so that a provider's DNS changes are picked up.
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                MaxConnectionsPerServer = int.MaxValue,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.TryAddSingleton<ProviderClients>();
        return silo;
    }

    /// <summary>Orleans ADO.NET grain storage on PostgreSQL (Npgsql), in the schema <see cref="SchemaMigrator"/> maintains.</summary>
    public static ISiloBuilder AddPostgreSqlGrainStorage(this ISiloBuilder silo, string name, string connectionString) =>
        silo.AddAdoNetGrainStorage(name, options =>
        {
            options.Invariant = "Npgsql";
            options.ConnectionString = connectionString;
        });

    /// <summary>The usage ledger on PostgreSQL, written in group commits by a hosted writer that drains at shutdown.</summary>
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
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        return endpoints;
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
