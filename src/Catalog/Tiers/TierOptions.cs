namespace Gateway.Catalog.Tiers;

/// <summary>The defaults of one tier (configuration <c>Gateway:Tiers:&lt;tier&gt;</c>).</summary>
public sealed class TierOptions
{
    public int RequestsPerMinute { get; set; }

    public long TokensPerMinute { get; set; }

    /// <summary>Tokens per calendar month; null is unlimited.</summary>
    public long? MonthlyTokenQuota { get; set; }

    /// <summary>Requests in flight at once.</summary>
    public int MaxConcurrent { get; set; }

    /// <summary>Relative share of upstream capacity when providers are contended.</summary>
    public int FairShareWeight { get; set; } = 1;
}
