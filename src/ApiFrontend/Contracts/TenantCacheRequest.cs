using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// The <c>cache</c> of a tenant request, <c>{"enabled": true, "ttlSeconds": 300, "maxEntries": 10000,
/// "deterministicOnly": true, "hitCostFraction": 0}</c>: every member but <c>enabled</c> optional, with those defaults.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class TenantCacheRequest
{
    [Description("Whether answers are cached. Required.")]
    public bool? Enabled { get; set; }

    [Description("How long an entry lives, in seconds; absent or null for the default.")]
    public long? TtlSeconds { get; set; }

    [Description("The most entries the tenant keeps, the oldest going first; absent or null for the default.")]
    public long? MaxEntries { get; set; }

    [Description("true (the default): only requests with temperature 0 or a seed are cached; false: every request.")]
    public Optional<bool?> DeterministicOnly { get; set; }

    [Description("The part of the stored answer's cost a hit is charged, from 0 (the default: free) to 1.")]
    public Optional<decimal?> HitCostFraction { get; set; }
}
