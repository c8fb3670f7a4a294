using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Tests.Resilience;

/// <summary>
/// A stand-in tenant grain whose <see cref="SettleAsync"/> fails with the given exceptions, one an attempt, then
/// succeeds; or fails every time with <see cref="Always"/>. Counts the attempts.
/// </summary>
public sealed class FlakyTenant(params Exception[] failures) : ITenantGrain
{
    private int _attempts;

    public Exception? Always { get; init; }

    public int Attempts => Volatile.Read(ref _attempts);

    public Task SettleAsync(Settlement settlement)
    {
        var attempt = Interlocked.Increment(ref _attempts);
        return Always is { } always ? Task.FromException(always)
            : attempt <= failures.Length ? Task.FromException(failures[attempt - 1])
            : Task.CompletedTask;
    }

    public Task<TenantView?> CreateAsync(TenantConfig config) => throw new NotSupportedException();

    public Task<TenantView?> GetAsync() => throw new NotSupportedException();

    public Task<TenantView?> UpdateAsync(TenantPatch patch) => throw new NotSupportedException();

    public Task<AddKeyResult> AddKeyAsync(string keyId, string keyHash) => throw new NotSupportedException();

    public Task<bool> IsOriginAllowedAsync(string origin) => throw new NotSupportedException();

    public Task<bool> RevokeKeyAsync(string keyId) => throw new NotSupportedException();

    public Task<AdmissionResult> AdmitAsync(AdmissionRequest request) => throw new NotSupportedException();

    public Task<int> GetPromptCeilingAsync(AdmissionRequest request) => throw new NotSupportedException();

    public Task<AdmissionResult> AdmitCountAsync(string modelId) => throw new NotSupportedException();

    public Task ReleaseAsync(string requestId) => throw new NotSupportedException();

    public Task<UsageReport?> GetUsageAsync() => throw new NotSupportedException();

    public Task<LedgerPage> GetLedgerAsync(LedgerQuery query) => throw new NotSupportedException();

    public Task<RateLimitStatus> GetRateLimitsAsync() => throw new NotSupportedException();
}
