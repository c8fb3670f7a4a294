using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Gateway.Grains.Storage;

/// <summary>
/// Brings a PostgreSQL database to the schema this build needs by applying the numbered scripts under
/// <c>Storage/Migrations</c> that it has not applied yet, each in its own transaction. Safe to run from every silo
/// at once: an advisory lock lets one apply while the others wait and then find nothing left to do.
/// </summary>
public sealed partial class SchemaMigrator(ILogger<SchemaMigrator> logger)
{
    private const string ResourcePrefix = "Gateway.Migrations.";

    // Any fixed number: it names the lock all gateway processes take while migrating.
    private const long LockId = 0x6761_7465_7761_7901;

    /// <summary>The scripts this build carries, ordered by their number.</summary>
    public static IReadOnlyList<(int Version, string Name)> Scripts { get; } = typeof(SchemaMigrator).Assembly
        .GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..^4])
        .Select(n => (int.Parse(n[..n.IndexOf('_')], System.Globalization.CultureInfo.InvariantCulture), n))
        .OrderBy(s => s.Item1)
        .ToArray();

    /// <summary>Applies what is missing; returns the versions applied now.</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // The bookkeeping table is created under the same lock: CREATE TABLE IF NOT EXISTS is not safe against a
        // concurrent twin (two silos starting on an empty database would collide on the catalog's unique index).
        await using (var setup = await connection.BeginTransactionAsync(cancellationToken))
        {
            await ExecuteAsync(connection, setup, $"SELECT pg_advisory_xact_lock({LockId});", cancellationToken);
            await ExecuteAsync(connection, setup, """
            CREATE TABLE IF NOT EXISTS gateway_schema_migrations
            (
                version integer NOT NULL PRIMARY KEY,
                name varchar(200) NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """, cancellationToken);
            await setup.CommitAsync(cancellationToken);
        }

        var applied = new List<int>();
        foreach (var (version, name) in Scripts)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({LockId});", cancellationToken);
            await using (var check = new NpgsqlCommand("SELECT count(*) FROM gateway_schema_migrations WHERE version = @version;", connection, transaction))
            {
                check.Parameters.AddWithValue("version", version);
                if ((long)(await check.ExecuteScalarAsync(cancellationToken))! > 0)
                {
                    await transaction.RollbackAsync(cancellationToken);
                    continue;
                }
            }

            await ExecuteAsync(connection, transaction, ReadScript(name), cancellationToken);
            await using (var record = new NpgsqlCommand("INSERT INTO gateway_schema_migrations (version, name) VALUES (@version, @name);", connection, transaction))
            {
                record.Parameters.AddWithValue("version", version);
                record.Parameters.AddWithValue("name", name);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            LogApplied(logger, version, name);
            applied.Add(version);
        }

        return applied;
    }

    private static string ReadScript(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourcePrefix + name + ".sql")
            ?? throw new InvalidOperationException($"Migration script {name} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema migration {Version} ({Name})")]
    private static partial void LogApplied(ILogger logger, int version, string name);
}
