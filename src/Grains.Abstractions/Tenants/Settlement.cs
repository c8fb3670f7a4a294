namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// What a request actually used, as the provider reported it (or as the gateway counted it: <see cref="UsageCounted"/>).
/// <see cref="Model"/> is the model that served; <see cref="RequestedModel"/> the one the client asked for, when a
/// fallback served instead. <see cref="Provider"/> is the provider account of the deployment that served; null from an
/// older sender, when the model's own provider is recorded. <see cref="InputTokens"/> counts as OpenAI's prompt tokens do:
/// <see cref="CachedInputTokens"/> (read from the provider's prompt cache) and <see cref="CacheWriteTokens"/> (written to
/// it; <see cref="CacheWrite1hTokens"/> of these kept an hour) are part of it, priced at their own prices.
/// <see cref="ReasoningTokens"/> are part of <see cref="OutputTokens"/>, priced as output. <see cref="QueueWaitMs"/>: how long it waited in a full deployment's queue, in whole
/// milliseconds rounded up (0 when it did not wait).
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.Settlement")]
public sealed record Settlement(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Model,
    [property: Id(2)] long InputTokens,
    [property: Id(3)] long OutputTokens,
    [property: Id(4)] string Outcome = Settlement.Completed,
    [property: Id(5)] string? RequestedModel = null,
    [property: Id(6)] int Attempts = 1,
    [property: Id(7)] bool UsageCounted = false,
    [property: Id(8)] string? Provider = null,
    [property: Id(9)] long CachedInputTokens = 0,
    [property: Id(10)] long CacheWriteTokens = 0,
    [property: Id(11)] long CacheWrite1hTokens = 0,
    [property: Id(12)] long ReasoningTokens = 0,
    [property: Id(13)] long QueueWaitMs = 0)
{
    public const string Completed = "completed";
    public const string StreamInterrupted = "stream_interrupted";
    public const string ClientDisconnected = "client_disconnected";

    /// <summary>Answered from the tenant's response cache: the tokens are the stored answer's, charged at the tenant's hit fraction.</summary>
    public const string Cached = "cached";
}
