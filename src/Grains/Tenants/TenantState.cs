using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>
/// What a tenant grain persists. Bounded: keys are capped, the month keeps one counter per model, daily rollups
/// are pruned past the retention window, open reservations are at most the tenant's concurrency cap.
/// </summary>
[GenerateSerializer, Alias("gw.TenantState")]
public sealed class TenantState
{
    [Id(0)] public TenantConfig? Config { get; set; }
    [Id(1)] public DateTimeOffset CreatedAt { get; set; }
    [Id(2)] public List<ApiKeyEntry> Keys { get; set; } = [];
    [Id(3)] public TokenBucket? RequestBucket { get; set; }
    [Id(4)] public TokenBucket? TokenBucket { get; set; }

    /// <summary>The calendar month (UTC, <c>yyyy-MM</c>) that <see cref="Month"/> and <see cref="MonthByModel"/> count.</summary>
    [Id(5)] public string Period { get; set; } = "";
    [Id(6)] public UsageCounters Month { get; set; } = new();
    [Id(7)] public Dictionary<string, UsageCounters> MonthByModel { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per-day, per-model rollups within the retention window.</summary>
    [Id(8)] public Dictionary<DateOnly, Dictionary<string, UsageCounters>> Daily { get; set; } = [];

    /// <summary>The ledger sequence number of the last settlement these totals include; recovery replays the rest.</summary>
    [Id(9)] public long LedgerSeq { get; set; }

    /// <summary>Reservations open at the last checkpoint; a reactivation holds them again until they settle or expire.</summary>
    [Id(10)] public List<OpenReservation> OpenReservations { get; set; } = [];

    public bool Exists => Config is not null;
}
