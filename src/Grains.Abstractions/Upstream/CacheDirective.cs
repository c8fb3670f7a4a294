namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// How a request uses its tenant's response cache. <see cref="Key"/> is the hash of the tenant id and the canonical
/// request, so no two tenants can share an entry. <see cref="Read"/>: a stored answer may serve it; <see cref="Write"/>:
/// its answer may be stored, for <see cref="Ttl"/>, the tenant keeping at most <see cref="MaxEntries"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.CacheDirective")]
public sealed record CacheDirective(
    [property: Id(0)] string Key,
    [property: Id(1)] bool Read,
    [property: Id(2)] bool Write,
    [property: Id(3)] TimeSpan Ttl,
    [property: Id(4)] int MaxEntries);
