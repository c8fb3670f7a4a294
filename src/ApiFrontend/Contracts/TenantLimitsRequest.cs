using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>The <c>limits</c> of a tenant request: each overrides the tier's limit, null puts it back to the tier's.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class TenantLimitsRequest
{
    [Description("Requests per minute; null for the tier's.")]
    public Optional<long?> RequestsPerMinute { get; set; }

    [Description("Tokens per minute; null for the tier's.")]
    public Optional<long?> TokensPerMinute { get; set; }

    [Description("Requests in flight at once; null for the tier's.")]
    public Optional<long?> MaxConcurrent { get; set; }
}
