using Gateway.Grains.Abstractions.Keys;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>
/// The tenant grain's administration: creating and changing the tenant's configuration, its keys and its browser
/// origins, each decided synchronously and followed by one checkpoint (and the key grain told after it), under the
/// same reentrancy rule as the rest of the grain (see <see cref="TenantGrain"/>).
/// </summary>
public sealed partial class TenantGrain
{
    public Task<TenantView?> CreateAsync(TenantConfig config)
    {
        if (Account.Exists)
        {
            return Task.FromResult<TenantView?>(null);
        }

        var (now, limits) = (time.GetUtcNow(), Limits(config));
        Account.Create(config, limits, now);
        return After(Checkpoint.FlushAsync(), (TenantView?)TenantReports.View(TenantId, Account, limits, now));
    }

    public Task<TenantView?> GetAsync() =>
        Task.FromResult(Refreshed() is (var now, var limits) ? TenantReports.View(TenantId, Account, limits, now) : null);

    public Task<TenantView?> UpdateAsync(TenantPatch patch)
    {
        if (Account.Config is not { } config)
        {
            return Task.FromResult<TenantView?>(null);
        }

        var updated = TenantConfigPatch.Apply(config, patch);
        var (now, limits) = (time.GetUtcNow(), Limits(updated));
        Account.Configure(updated, limits, now);
        Observe(limits);
        return After(Checkpoint.FlushAsync(), (TenantView?)TenantReports.View(TenantId, Account, limits, now));
    }

    public Task<AddKeyResult> AddKeyAsync(string keyId, string keyHash)
    {
        var added = Account.AddKey(keyId, keyHash, time.GetUtcNow());
        return added.Outcome != AddKeyOutcome.Added
            ? Task.FromResult(added)
            : RegisterAfterAsync(Checkpoint.FlushAsync(), GrainFactory.GetGrain<IApiKeyGrain>(keyHash), new ApiKeyRecord(TenantId, keyId, Revoked: false), added);

        // Registered after the tenant has recorded it, so a key that resolves is always one the tenant knows.
        static async Task<AddKeyResult> RegisterAfterAsync(Task flushed, IApiKeyGrain key, ApiKeyRecord record, AddKeyResult added)
        {
            await flushed;
            await key.RegisterAsync(record);
            return added;
        }
    }

    public Task<bool> IsOriginAllowedAsync(string origin) =>
        Task.FromResult(Account.Config?.AllowedOrigins?.Contains(origin, StringComparer.OrdinalIgnoreCase) == true);

    public Task<bool> RevokeKeyAsync(string keyId)
    {
        if (Account.RevokeKey(keyId, time.GetUtcNow(), out var revokedNow) is not { } entry)
        {
            return Task.FromResult(false);
        }

        // The key grain is told on every call, so a revocation interrupted between the two writes completes when retried.
        return RevokeAfterAsync(revokedNow ? Checkpoint.FlushAsync() : Task.CompletedTask, GrainFactory.GetGrain<IApiKeyGrain>(entry.Hash));

        static async Task<bool> RevokeAfterAsync(Task flushed, IApiKeyGrain key)
        {
            await flushed;
            await key.RevokeAsync();
            return true;
        }
    }
}
