using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// The body of <c>PATCH /admin/tenants/{id}</c>: the settings to change (absent: unchanged; null: back to the default).
/// The id cannot be changed; unknown fields are refused.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class UpdateTenantRequest : TenantSettingsRequest
{
    [Description("One of the configured tiers (case-insensitive, stored in lower case).")]
    public override Optional<string?> Tier { get; set; }
}
