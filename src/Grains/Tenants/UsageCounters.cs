using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>Settled usage totals: requests, tokens and exact cost.</summary>
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
    }
}
