using Gateway.Grains.Abstractions.Ledger;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>A page of a tenant's ledger; pass <c>nextAfter</c> as <c>after</c> for the next page (null: no more).</summary>
public sealed record LedgerPageResponse(IReadOnlyList<LedgerEntryResponse> Data, long? NextAfter)
{
    public static LedgerPageResponse From(LedgerPage page) => new(
        page.Entries.Select(e => new LedgerEntryResponse(e.Seq, e.RequestId, e.RecordedAt, e.Model, e.Provider, e.InputTokens, e.OutputTokens, e.CostUsd, e.Outcome, e.RequestedModel, e.Attempts, e.UsageCounted, e.CachedInputTokens, e.CacheWriteTokens,
            e.CacheWrite1hTokens, e.ReasoningTokens, e.QueueWaitMs)).ToArray(),
        page.NextAfter);
}

/// <summary>
/// One ledger row: <c>model</c> served and was charged; <c>requestedModel</c> is the model asked for when a fallback
/// served (else null); <c>usageCounted</c>: the provider reported no usage, the gateway's count was charged.
/// <c>inputTokens</c> includes <c>cachedInputTokens</c> (read from the provider's prompt cache) and <c>cacheWriteTokens</c>
/// (written to it; <c>cacheWrite1hTokens</c> of these kept an hour), each priced at its own price; <c>outputTokens</c>
/// includes <c>reasoningTokens</c>, priced as output. With the model's prices these recompute <c>costUsd</c>.
/// <c>queueWaitMs</c>: how long it waited in a full deployment's queue, in milliseconds (0 when it found capacity at once).
/// </summary>
public sealed record LedgerEntryResponse(
    long Seq, string RequestId, DateTimeOffset RecordedAt, string Model, string Provider,
    long InputTokens, long OutputTokens, decimal CostUsd, string Outcome,
    string? RequestedModel, int Attempts, bool UsageCounted, long CachedInputTokens, long CacheWriteTokens,
    long CacheWrite1hTokens, long ReasoningTokens, long QueueWaitMs);
