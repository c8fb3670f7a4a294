namespace Gateway.Grains.Tenants;

/// <summary>Settled usage totals: requests, tokens and exact cost.</summary>
[GenerateSerializer, Alias("gw.UsageCounters")]
public sealed class UsageCounters
{
    [Id(0)] public long Requests { get; set; }
    [Id(1)] public long InputTokens { get; set; }
    [Id(2)] public long OutputTokens { get; set; }
    [Id(3)] public decimal CostUsd { get; set; }

    public long TotalTokens => InputTokens + OutputTokens;

    public void Add(long inputTokens, long outputTokens, decimal costUsd)
    {
        Requests++;
        InputTokens += inputTokens;
        OutputTokens += outputTokens;
        CostUsd += costUsd;
    }
}
