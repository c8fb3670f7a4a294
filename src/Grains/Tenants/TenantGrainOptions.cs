namespace Gateway.Grains.Tenants;

/// <summary>Behaviour of tenant grains (configuration <c>Gateway:Tenants</c>).</summary>
public sealed class TenantGrainOptions
{
    public const string Section = "Gateway:Tenants";

    /// <summary>How long a reservation lives without being settled before it is released (a caller that died).</summary>
    public TimeSpan ReservationTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How many days of per-day rollups a tenant keeps.</summary>
    public int DailyRetentionDays { get; set; } = 62;

    /// <summary>The most keys (live and revoked) one tenant may hold.</summary>
    public int MaxKeys { get; set; } = 100;

    /// <summary>
    /// How often settled usage is written to grain storage. Each settlement is durable in the ledger at once; the
    /// saved state only bounds how much of the ledger a reactivation replays, so a hot tenant never waits on a full
    /// state write per request.
    /// </summary>
    public TimeSpan StateFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a settlement waits for its ledger row to be durable before it answers anyway. With the database up a
    /// group commit takes milliseconds; while it is down the row waits in the ledger's bounded buffer and is retried,
    /// and the request is delivered instead of failing after its provider already served it.
    /// </summary>
    public TimeSpan SettlementDurabilityWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many recent settlements are remembered to make a repeated settlement a no-op.</summary>
    public int SettlementMemory { get; set; } = 10_000;
}
