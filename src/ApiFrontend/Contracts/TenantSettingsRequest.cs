using System.ComponentModel;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// The settings of a tenant as the admin API takes them, shared by <see cref="CreateTenantRequest"/> and
/// <see cref="UpdateTenantRequest"/>. Every field is <see cref="Optional{T}"/>: absent leaves a setting alone in a PATCH,
/// null resets it. Checked by <see cref="TenantRequestValidator"/>.
/// </summary>
public abstract class TenantSettingsRequest
{
    /// <summary>One of the configured tiers (case-insensitive, stored in lower case).</summary>
    public abstract Optional<string?> Tier { get; set; }

    [Description("Model ids or aliases of the catalog the tenant may use; null for every model.")]
    public Optional<IReadOnlyList<string?>?> AllowedModels { get; set; }

    [Description("The monthly budget in US dollars; null for none.")]
    public Optional<decimal?> MonthlyBudgetUsd { get; set; }

    [Description("The monthly token quota; null for the tier's.")]
    public Optional<long?> MonthlyTokenQuota { get; set; }

    [Description("Overrides of the tier's limits; null puts every limit back to the tier's.")]
    public Optional<TenantLimitsRequest?> Limits { get; set; }

    [Description("The tenant's response cache; null for none. A PATCH replaces it whole.")]
    public Optional<TenantCacheRequest?> Cache { get; set; }

    [Description("Browser origins (scheme, host, optional port) whose pages may use the tenant's keys; null for none.")]
    public Optional<IReadOnlyList<string?>?> AllowedOrigins { get; set; }

    [Description("The tenant's weight in a full deployment's fair queue (1 to 100), instead of its tier's FairShareWeight; null for the tier's.")]
    public Optional<long?> FairShareWeight { get; set; }
}
