namespace Gateway.Grains.Caching;

/// <summary>
/// Where a silo's response cache keeps its entries: shared by all silos (Redis) or this process's memory (the embedded
/// run). Keys are already tenant-scoped hashes; <c>tenantId</c> only bounds how many entries one tenant holds.
/// </summary>
public interface IResponseCacheStore
{
    /// <summary>The stored bytes, or null when there are none.</summary>
    Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="value"/> for <paramref name="ttl"/>; beyond <paramref name="maxEntries"/> of the tenant, the entries closest to expiry go.</summary>
    Task SetAsync(string tenantId, string key, byte[] value, TimeSpan ttl, int maxEntries, CancellationToken cancellationToken);
}
