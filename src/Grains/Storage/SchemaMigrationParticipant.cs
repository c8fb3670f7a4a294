namespace Gateway.Grains.Storage;

/// <summary>Applies pending schema migrations when a silo starts, before any grain storage is used.</summary>
internal sealed class SchemaMigrationParticipant(SchemaMigrator migrator, string connectionString) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SchemaMigrationParticipant), ServiceLifecycleStage.RuntimeInitialize,
            cancellationToken => migrator.MigrateAsync(connectionString, cancellationToken));
}
