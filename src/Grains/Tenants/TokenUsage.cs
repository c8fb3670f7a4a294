using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>
/// The tokens of one request split the way they are priced. <see cref="Input"/> counts as OpenAI's <c>prompt_tokens</c>
/// do: <see cref="CachedInput"/> (cache reads) and <see cref="CacheWrite"/> (cache writes, of which <see cref="CacheWrite1h"/>
/// are kept an hour) are part of it. <see cref="Reasoning"/> is part of <see cref="Output"/>: shown, never charged twice.
/// </summary>
internal readonly record struct TokenUsage(long Input, long Output, long CachedInput = 0, long CacheWrite = 0, long CacheWrite1h = 0, long Reasoning = 0)
{
    public static TokenUsage Of(Settlement settlement) => new(settlement.InputTokens, settlement.OutputTokens,
        settlement.CachedInputTokens, settlement.CacheWriteTokens, settlement.CacheWrite1hTokens, settlement.ReasoningTokens);

    public static TokenUsage Of(LedgerEntry entry) => new(entry.InputTokens, entry.OutputTokens,
        entry.CachedInputTokens, entry.CacheWriteTokens, entry.CacheWrite1hTokens, entry.ReasoningTokens);
}
