using Gateway.Grains.Abstractions.Keys;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Gateway.Tests.Durability;

/// <summary>Tenant and key grains on real PostgreSQL through Orleans' ADO.NET storage and the project's own schema.</summary>
[Collection(RealServersCollection.Name), Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed class PostgreSqlStorageTests(RealServersFixture servers)
{
    private readonly FakeTimeProvider _clock = new(ClusterFixture.Start);
    private readonly string _serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task SchemaMigrationsAreAppliedOnceAndAreIdempotent()
    {
        var fresh = await CreateDatabaseAsync();
        var migrator = new SchemaMigrator(NullLogger<SchemaMigrator>.Instance);
        var versions = SchemaMigrator.Scripts.Select(s => s.Version).ToArray();

        var first = await migrator.MigrateAsync(fresh);
        var second = await migrator.MigrateAsync(fresh);

        Assert.Equal([1, 2, 3, 4, 5, 6], versions);
        Assert.Equal(versions, first);
        Assert.Empty(second);
        Assert.Equal(versions, await AppliedVersionsAsync(fresh));
    }

    [Fact]
    public async Task SilosStartingTogetherOnAnEmptyDatabaseApplyEachMigrationOnce()
    {
        var fresh = await CreateDatabaseAsync();
        var migrator = new SchemaMigrator(NullLogger<SchemaMigrator>.Instance);

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => migrator.MigrateAsync(fresh))));

        Assert.Equal(SchemaMigrator.Scripts.Select(s => s.Version).Order(), runs.SelectMany(r => r).Order());
        Assert.Equal(SchemaMigrator.Scripts.Select(s => s.Version), await AppliedVersionsAsync(fresh));
    }

    [Fact]
    public async Task TenantConfigurationKeysAndUsageSurviveAFullRestart()
    {
        var tenantId = "t-" + Guid.NewGuid().ToString("N")[..12];
        var keyHash = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var config = new TenantConfig("gold", ["gpt-4.1"], 10m, 5_000_000, new TenantLimits(120, null, 7));

        await using (var first = await StartClusterAsync())
        {
            var tenant = first.Client.GetGrain<ITenantGrain>(tenantId);
            Assert.NotNull(await tenant.CreateAsync(config));
            Assert.Equal(AddKeyOutcome.Added, (await tenant.AddKeyAsync("key_1", keyHash)).Outcome);
            Assert.True((await tenant.AdmitAsync(new AdmissionRequest("req-1", "gpt-4.1", 100, 50))).IsAdmitted);
            await tenant.SettleAsync(new Settlement("req-1", "gpt-4.1", 90, 40));
        }

        await using var second = await StartClusterAsync();
        var restarted = second.Client.GetGrain<ITenantGrain>(tenantId);
        var view = await restarted.GetAsync();
        Assert.NotNull(view);
        Assert.Equal(config with { AllowedModels = null }, view.Config with { AllowedModels = null });
        Assert.Equal(["gpt-4.1"], view.Config.AllowedModels!);
        Assert.Equal(1, view.Usage.Requests);
        Assert.Equal(90, view.Usage.InputTokens);
        Assert.Equal(40, view.Usage.OutputTokens);
        Assert.Equal((90 * 2.00m + 40 * 8.00m) / 1_000_000m, view.Usage.CostUsd);
        Assert.Equal("key_1", Assert.Single(view.Keys).Id);
        var key = await second.Client.GetGrain<IApiKeyGrain>(keyHash).ResolveAsync();
        Assert.Equal(new ApiKeyRecord(tenantId, "key_1", Revoked: false), key);

        // One request was taken from the 120/minute bucket before the restart; the bucket remembers it.
        Assert.Equal(119, (await restarted.GetRateLimitsAsync()).RemainingRequests);
    }

    /// <summary>An empty database of its own on the fixture's server (the fixture's own is migrated already).</summary>
    private async Task<string> CreateDatabaseAsync()
    {
        var database = "fresh_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new Npgsql.NpgsqlConnection(servers.PostgreSql))
        {
            await admin.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new Npgsql.NpgsqlConnectionStringBuilder(servers.PostgreSql) { Database = database, Pooling = false }.ConnectionString;
    }

    /// <summary>The bookkeeping table's rows, one per applied version.</summary>
    private static async Task<List<int>> AppliedVersionsAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var select = new Npgsql.NpgsqlCommand("SELECT version FROM gateway_schema_migrations ORDER BY version", connection);
        await using var reader = await select.ExecuteReaderAsync();
        var versions = new List<int>();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private Task<InProcessTestCluster> StartClusterAsync() => servers.StartClusterAsync(_serviceId, _clock);
}
