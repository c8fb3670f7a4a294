namespace Gateway.Catalog.Tiers;

/// <summary>
/// Tier defaults (configuration <c>Gateway:Tiers</c>). A tier missing from configuration keeps its built-in
/// default; a configured tier replaces it.
/// </summary>
public sealed class TierCatalogOptions
{
    public const string Section = "Gateway:Tiers";

    public Dictionary<string, TierOptions> Tiers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    // Case-insensitive like Tiers: the admin API accepts "Gold" and stores "gold".
    public static IReadOnlyDictionary<string, TierOptions> Defaults { get; } = new Dictionary<string, TierOptions>(StringComparer.OrdinalIgnoreCase)
    {
        ["bronze"] = new() { RequestsPerMinute = 60, TokensPerMinute = 100_000, MonthlyTokenQuota = 1_000_000, MaxConcurrent = 5, FairShareWeight = 1 },
        ["silver"] = new() { RequestsPerMinute = 300, TokensPerMinute = 500_000, MonthlyTokenQuota = 10_000_000, MaxConcurrent = 20, FairShareWeight = 2 },
        ["gold"] = new() { RequestsPerMinute = 1_000, TokensPerMinute = 2_000_000, MonthlyTokenQuota = 100_000_000, MaxConcurrent = 100, FairShareWeight = 4 },
        ["platinum"] = new() { RequestsPerMinute = 10_000, TokensPerMinute = 20_000_000, MonthlyTokenQuota = null, MaxConcurrent = 500, FairShareWeight = 8 },
    };

    public bool TryGet(string tier, out TierOptions options)
    {
        if (Tiers.TryGetValue(tier, out options!))
        {
            return true;
        }

        return Defaults.TryGetValue(tier, out options!);
    }

    public IEnumerable<string> Names => Tiers.Keys.Union(Defaults.Keys, StringComparer.OrdinalIgnoreCase);
}
