using Gateway.Catalog;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Caching;
using Gateway.Grains.Ledger;
using Gateway.Grains.Providers;
using Gateway.Grains.Routing;
using Gateway.Grains.Routing.Scheduling;
using Gateway.Grains.Storage;
using Gateway.Grains.Tenants;
using Gateway.Grains.Upstream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Gateway.Grains;

/// <summary>
/// Registers the grains' storage and the services they use in a silo, without clustering or a host (test clusters bring
/// their own; src/Hosting adds clustering, the dashboard and health for the gateway's processes).
/// </summary>
public static class GatewayGrainsExtensions
{
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
        services.AddOptions<LedgerOptions>().BindConfiguration(LedgerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LedgerOptions>, LedgerOptions.Validator>();
        services.AddGatewayCatalogs();
        services.AddOptions<TenantGrainOptions>().BindConfiguration(TenantGrainOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TenantGrainOptions>, TenantGrainOptions.Validator>();
        services.TryAddSingleton(sp => new AdmissionPolicy(sp.GetRequiredService<ModelCatalog>(), sp.GetRequiredService<IOptions<TenantGrainOptions>>().Value.ReservationTimeout));
        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpstreamOptions>, UpstreamOptionsValidator>();
        services.AddSingleton<UpstreamDrain>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<UpstreamDrain>());
        services.AddPlacementDirector<LocalUnlessDrainingPlacement, LocalUnlessDrainingPlacementDirector>();
        services.AddSingleton<SettlementRetry>();
        services.AddOptions<DeploymentCapacityOptions>().BindConfiguration(DeploymentCapacityOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeploymentCapacityOptions>, DeploymentCapacityOptionsValidator>();
        services.AddOptions<FairQueueOptions>().BindConfiguration(FairQueueOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FairQueueOptions>, FairQueueOptionsValidator>();
        services.AddSingleton<DeploymentCapacity>();
        services.BindEntries<ProviderCatalogOptions>(ProviderCatalogOptions.Section, options => options.Providers);
        services.AddSingleton<IValidateOptions<ProviderCatalogOptions>, ProviderCatalogOptionsValidator>();
        services.AddSingleton<IPostConfigureOptions<ModelCatalogOptions>, AnthropicCachePrices>();
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
    /// <c>Gateway:Cache:Store</c> says so, else in this silo's memory. The gateway's hosts make Redis the default when
    /// the cluster runs on Redis.
    /// </summary>
    private static void AddResponseCache(this IServiceCollection services)
    {
        services.AddOptions<ResponseCacheOptions>().BindConfiguration(ResponseCacheOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ResponseCacheOptions>, ResponseCacheOptionsValidator>();
        services.TryAddSingleton<IResponseCacheStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ResponseCacheOptions>>().Value;
            var time = sp.GetRequiredKeyedService<TimeProvider>(GatewayClock.Key);
            if ((options.Store ?? ResponseCacheStoreKind.Memory) == ResponseCacheStoreKind.Memory)
            {
                return new MemoryResponseCacheStore(time, options.MemoryBytes);
            }

            var redis = ConfigurationOptions.Parse(RedisConnectionString(sp.GetRequiredService<IConfiguration>()));
            redis.AbortOnConnectFail = false;
            redis.ConnectTimeout = (int)options.StoreTimeout.TotalMilliseconds;
            redis.SyncTimeout = redis.AsyncTimeout = (int)Math.Max(options.StoreTimeout.TotalMilliseconds, 100);
            return new RedisResponseCacheStore(async () => await ConnectionMultiplexer.ConnectAsync(redis), time);
        });
        services.AddSingleton<ResponseCache>();
    }

    private static string RedisConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Redis") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("the response cache in Redis needs ConnectionStrings:Redis (environment ConnectionStrings__Redis).");

    /// <summary>Orleans ADO.NET grain storage on PostgreSQL (Npgsql), in the schema <see cref="SchemaMigrator"/> maintains.</summary>
    public static ISiloBuilder AddPostgreSqlGrainStorage(this ISiloBuilder silo, string name, string connectionString) =>
        silo.AddAdoNetGrainStorage(name, options =>
        {
            options.Invariant = "Npgsql";
            options.ConnectionString = connectionString;
        });

    private static void AddCompactMemoryGrainStorage(ISiloBuilder silo, string name) =>
        silo.AddMemoryGrainStorage(name, (OptionsBuilder<MemoryGrainStorageOptions> options) => options.Configure<Orleans.Serialization.Serializer>(
            (memory, serializer) => memory.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(serializer)));

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

    /// <summary>Brings the PostgreSQL database's schema up to date (<see cref="SchemaMigrator"/>) as the silo starts.</summary>
    public static ISiloBuilder AddPostgreSqlSchemaMigration(this ISiloBuilder silo, string connectionString)
    {
        silo.Services.AddSingleton<SchemaMigrator>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new SchemaMigrationParticipant(sp.GetRequiredService<SchemaMigrator>(), connectionString));
        return silo;
    }
}
