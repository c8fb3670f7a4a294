using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>The body of <c>POST /admin/tenants</c>: the new tenant's id and settings. Unknown fields are refused.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class CreateTenantRequest : TenantSettingsRequest
{
    // [Required] marks the field required in the API document; the check itself is TenantRequestValidator's.
    [Required, Description("1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.")]
    public Optional<string?> Id { get; set; }

    [Required, Description("One of the configured tiers (case-insensitive, stored in lower case).")]
    public override Optional<string?> Tier { get; set; }
}
