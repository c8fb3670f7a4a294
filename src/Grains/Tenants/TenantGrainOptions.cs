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

    /// <summary>Refuses to start with settings that cannot work, naming the setting to fix.</summary>
    internal sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<TenantGrainOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, TenantGrainOptions options)
        {
            var failures = new List<string>();
            if (options.ReservationTimeout < TimeSpan.FromSeconds(1)) failures.Add($"{Section}:ReservationTimeout must be at least 00:00:01 (longer than the slowest provider call).");
            if (options.DailyRetentionDays is < 1 or > 3660) failures.Add($"{Section}:DailyRetentionDays must be between 1 and 3660.");
            if (options.MaxKeys < 1) failures.Add($"{Section}:MaxKeys must be at least 1.");
            if (options.StateFlushInterval <= TimeSpan.Zero) failures.Add($"{Section}:StateFlushInterval must be positive.");
            if (options.SettlementDurabilityWait < TimeSpan.Zero) failures.Add($"{Section}:SettlementDurabilityWait must not be negative.");
            if (options.SettlementMemory < 1) failures.Add($"{Section}:SettlementMemory must be at least 1.");
            return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
        }
    }
}
