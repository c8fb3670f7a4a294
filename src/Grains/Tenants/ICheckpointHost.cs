namespace Gateway.Grains.Tenants;

/// <summary>
/// What a <see cref="TenantCheckpoint"/> needs from the grain that owns it: to write the state, and a one-shot timer.
/// The grain implements it itself, so a checkpoint costs its activation no delegates.
/// </summary>
internal interface ICheckpointHost
{
    /// <summary>Writes the state (grain storage); called only after the previous write has ended.</summary>
    Task WriteCheckpointAsync();

    /// <summary>Starts the one-shot timer that calls <see cref="TenantCheckpoint.FlushDueAsync"/> once the flush interval has passed.</summary>
    IDisposable ScheduleFlush(TenantCheckpoint checkpoint);
}
