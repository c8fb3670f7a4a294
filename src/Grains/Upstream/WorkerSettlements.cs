using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Caching;

namespace Gateway.Grains.Upstream;

/// <summary>The settlements a worker sends the tenant: what a served request, or a cache hit, used and how it was served.</summary>
internal static class WorkerSettlements
{
    /// <summary>A cache hit's settlement: the stored answer's usage (the tenant pays its fraction of it), marked cached.</summary>
    public static Settlement Hit(UpstreamRequest request, CachedCompletion hit) =>
        WithUsage(new Settlement(request.RequestId, hit.ModelId, 0, 0, Settlement.Cached,
            RequestedModel: request.Model, Attempts: 0, Provider: hit.Provider), hit.Usage);

    /// <summary>Whole milliseconds the request waited in a full deployment's queue, rounded up; null when it did not wait.</summary>
    public static long? QueuedMs(UpstreamExchange exchange) =>
        exchange.QueuedFor is { } queued ? (queued.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond : null;

    /// <summary>The settlement of a provider's answer: its usage, the deployment that served it, and how it was reached.</summary>
    public static Settlement Of(UpstreamRequest request, UpstreamExchange exchange, CompletionUsage.Figures usage, string outcome) =>
        WithUsage(new Settlement(request.RequestId, exchange.Deployment.ModelId, 0, 0, outcome,
            RequestedModel: request.Model, Attempts: exchange.Attempts, UsageCounted: usage.Counted, Provider: exchange.Deployment.Provider,
            QueueWaitMs: QueuedMs(exchange) ?? 0), usage);

    /// <summary>A settlement carrying every token count of <paramref name="usage"/>, split as they are priced.</summary>
    private static Settlement WithUsage(Settlement settlement, CompletionUsage.Figures usage) => settlement with
    {
        InputTokens = usage.Input,
        OutputTokens = usage.Output,
        CachedInputTokens = usage.CachedInput,
        CacheWriteTokens = usage.CacheWrite,
        CacheWrite1hTokens = usage.CacheWrite1h,
        ReasoningTokens = usage.Reasoning,
    };
}
