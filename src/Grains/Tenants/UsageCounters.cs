using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>
/// Settled usage totals: requests, tokens and exact cost. <see cref="InputTokens"/> includes <see cref="CachedInputTokens"/>
/// and <see cref="CacheWriteTokens"/> (of which <see cref="CacheWrite1hTokens"/> kept an hour); <see cref="OutputTokens"/>
/// includes <see cref="ReasoningTokens"/>. Totals saved before these were counted start them at zero.
/// </summary>
[GenerateSerializer, Alias("gw.UsageCounters")]
public sealed class UsageCounters
{
    [Id(0)] public long Requests { get; set; }
    [Id(1)] public long InputTokens { get; set; }
    [Id(2)] public long OutputTokens { get; set; }
    [Id(3)] public decimal CostUsd { get; set; }

    /// <summary>Requests answered from the response cache; their tokens are not in <see cref="InputTokens"/> or <see cref="OutputTokens"/>.</summary>
    [Id(4)] public long CacheHits { get; set; }

    /// <summary>Tokens the cache hits did not take from the provider.</summary>
    [Id(5)] public long CacheSavedTokens { get; set; }

    [Id(6)] public long CachedInputTokens { get; set; }
    [Id(7)] public long CacheWriteTokens { get; set; }
    [Id(8)] public long CacheWrite1hTokens { get; set; }
    [Id(9)] public long ReasoningTokens { get; set; }

    public long TotalTokens => InputTokens + OutputTokens;

    public void Add(LedgerEntry entry)
    {
        Requests++;
        CostUsd += entry.CostUsd;
        if (entry.Outcome == Settlement.Cached)
        {
            CacheHits++;
            CacheSavedTokens += entry.InputTokens + entry.OutputTokens;
            return;
        }

        InputTokens += entry.InputTokens;
        OutputTokens += entry.OutputTokens;
        CachedInputTokens += entry.CachedInputTokens;
        CacheWriteTokens += entry.CacheWriteTokens;
        CacheWrite1hTokens += entry.CacheWrite1hTokens;
        ReasoningTokens += entry.ReasoningTokens;
    }
}
