using System.Collections.Concurrent;
using Gateway.ApiFrontend.Cluster;
using Gateway.Catalog;
using Gateway.Grains.Abstractions.Keys;

namespace Gateway.ApiFrontend.Auth;

/// <summary>
/// Resolves keys to tenants through their <see cref="IApiKeyGrain"/>, remembering each answer for under a
/// second, so a revocation reaches every frontend within one second while most requests skip the grain call.
/// Unknown keys are remembered too, so a flood of bad keys does not activate a grain each. Bounded.
/// </summary>
public sealed class KeyResolver(IGrainFactory grains, IdempotentCalls idempotent, [FromKeyedServices(GatewayClock.Key)] TimeProvider time)
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromMilliseconds(500);
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);

    /// <summary>The key's tenant, or null for a key that is unknown or revoked.</summary>
    public async ValueTask<TenantIdentity?> ResolveAsync(ReadOnlyMemory<char> key)
    {
        if (key.Length is < 10 or > 256 || !key.Span.StartsWith(ApiKeys.Prefix))
        {
            return null;
        }

        var hash = ApiKeys.Hash(key.Span);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var cached) && cached.ExpiresAt > now)
        {
            return cached.Identity;
        }

        var record = await idempotent.RetryAsync(() => grains.GetGrain<IApiKeyGrain>(hash).ResolveAsync());
        var identity = record is { Revoked: false, TenantId.Length: > 0 } ? new TenantIdentity(record.TenantId, record.KeyId) : null;
        if (_cache.Count >= MaxEntries)
        {
            _cache.Clear();
        }

        _cache[hash] = new Entry(identity, now + CacheLifetime);
        return identity;
    }

    private sealed record Entry(TenantIdentity? Identity, DateTimeOffset ExpiresAt);
}
