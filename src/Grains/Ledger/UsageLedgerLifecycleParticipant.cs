namespace Gateway.Grains.Ledger;

/// <summary>
/// Runs the PostgreSQL ledger's writer for the silo's whole life: open from the storage stage on (before any grain
/// settles), drained and closed on the way down only after every grain has been deactivated.
/// </summary>
internal sealed class UsageLedgerLifecycleParticipant(PostgreSqlUsageLedger ledger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(UsageLedgerLifecycleParticipant), ServiceLifecycleStage.RuntimeStorageServices,
            ledger.StartAsync, ledger.StopAsync);
}
