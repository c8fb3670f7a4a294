using Gateway.Grains.Abstractions.Ledger;

namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// One tenant: its configuration, keys, token buckets, quota, budget, open reservations and usage, all in
/// single-threaded actor state. Keyed by tenant id.
/// </summary>
[Alias("gw.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Creates the tenant; <see langword="null"/> when a tenant with this id exists already.</summary>
    [Alias("CreateAsync")]
    Task<TenantView?> CreateAsync(TenantConfig config);

    /// <summary>The tenant's configuration, keys and usage; <see langword="null"/> when it does not exist.</summary>
    [Alias("GetAsync")]
    Task<TenantView?> GetAsync();

    /// <summary>Applies a partial change; <see langword="null"/> when the tenant does not exist.</summary>
    [Alias("UpdateAsync")]
    Task<TenantView?> UpdateAsync(TenantPatch patch);

    /// <summary>Adds a key (only its hash) and registers it for lookup, unless the tenant does not exist or holds its maximum of keys.</summary>
    [Alias("AddKeyAsync.v2")]
    Task<AddKeyResult> AddKeyAsync(string keyId, string keyHash);

    /// <summary>Whether a browser page of <paramref name="origin"/> may use this tenant's keys (its <c>allowedOrigins</c>).</summary>
    [Alias("IsOriginAllowedAsync")]
    Task<bool> IsOriginAllowedAsync(string origin);

    /// <summary>Revokes a key; false when the tenant or the key does not exist.</summary>
    [Alias("RevokeKeyAsync")]
    Task<bool> RevokeKeyAsync(string keyId);

    /// <summary>
    /// Checks every limit and, when all hold, reserves the worst-case cost of the request in the same turn,
    /// so concurrent requests see each other's reservations. Answers in microseconds once active; the 10 s bound (not
    /// Orleans' 30 s) is for a call caught on a silo that died, which an Orleans client otherwise waits out.
    /// </summary>
    [Alias("AdmitAsync"), ResponseTimeout("00:00:10")]
    Task<AdmissionResult> AdmitAsync(AdmissionRequest request);

    /// <summary>
    /// The most prompt tokens, up to the request's own <see cref="AdmissionRequest.PromptTokens"/>, that
    /// <see cref="AdmitAsync"/> could admit now with the request's output; 0 when it would refuse whatever the prompt.
    /// Reserves nothing: it tells the frontend how far a large prompt is worth counting.
    /// </summary>
    [Alias("GetPromptCeilingAsync"), ResponseTimeout("00:00:10")]
    Task<int> GetPromptCeilingAsync(AdmissionRequest request);

    /// <summary>
    /// A token count's admission (<c>POST /v1/messages/count_tokens</c>): the tenant exists, its tier is configured, it may
    /// use <paramref name="modelId"/>, and one count is taken from its allowance of counts, a bucket of their own holding as
    /// many per minute as the tenant's requests per minute (as Anthropic limits counts apart from messages). A count
    /// reserves and charges nothing, but costs the gateway a tokenization of up to a whole request body, so it is not
    /// free of limits either. Refused: <see cref="AdmissionOutcome.RequestRateExceeded"/> with the wait until the next
    /// count, and <see cref="AdmissionResult.RateLimits"/>' request figures describing the counts' bucket.
    /// </summary>
    [Alias("AdmitCountAsync"), ResponseTimeout("00:00:10")]
    Task<AdmissionResult> AdmitCountAsync(string modelId);

    /// <summary>Replaces a reservation by the actual usage. Idempotent per request id.</summary>
    [Alias("SettleAsync")]
    Task SettleAsync(Settlement settlement);

    /// <summary>Releases a reservation without charging anything (the upstream call failed).</summary>
    [Alias("ReleaseAsync")]
    Task ReleaseAsync(string requestId);

    /// <summary>Usage of the current calendar month (UTC); <see langword="null"/> when the tenant does not exist.</summary>
    [Alias("GetUsageAsync")]
    Task<UsageReport?> GetUsageAsync();

    /// <summary>A page of the tenant's usage ledger.</summary>
    [Alias("GetLedgerAsync")]
    Task<LedgerPage> GetLedgerAsync(LedgerQuery query);

    /// <summary>The current state of the rate-limit buckets, for response headers.</summary>
    [Alias("GetRateLimitsAsync")]
    Task<RateLimitStatus> GetRateLimitsAsync();
}
