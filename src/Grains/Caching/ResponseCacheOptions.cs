namespace Gateway.Grains.Caching;

/// <summary>Where and how big the tenants' response caches are (configuration <c>Gateway:Cache</c>); each tenant turns its own on.</summary>
public sealed class ResponseCacheOptions
{
    public const string Section = "Gateway:Cache";

    /// <summary><c>Redis</c> (shared by all silos, <c>ConnectionStrings:Redis</c>) or <c>Memory</c> (this silo); by default Redis when the cluster runs on Redis.</summary>
    public ResponseCacheStoreKind? Store { get; set; }

    /// <summary>The memory store's bound in bytes (the embedded run's whole cache).</summary>
    public long MemoryBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The in-process layer in front of Redis, per silo, in bytes (0: none).</summary>
    public long FrontBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>The largest answer stored; a larger one is served but not stored.</summary>
    public int MaxEntryBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a read or write of the shared store may take before it counts as a miss (or is given up).</summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromMilliseconds(500);
}

public enum ResponseCacheStoreKind
{
    Memory,
    Redis,
}
