namespace Gateway.Grains.Tenants;

/// <summary>
/// Told by <see cref="TenantAccount"/> that the state changed and the saved state must follow within the flush interval:
/// the account's <see cref="TenantCheckpoint"/>.
/// </summary>
internal interface IStateChanges
{
    /// <summary>Notes that the state changed.</summary>
    void MarkDirty();
}
