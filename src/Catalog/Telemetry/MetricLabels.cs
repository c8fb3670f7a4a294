using System.Collections.Frozen;
using Gateway.Catalog.Models;
using Microsoft.Extensions.Options;

namespace Gateway.Catalog.Telemetry;

/// <summary>
/// Label values that keep the number of series bounded whatever the traffic: a model is a catalog id or <c>other</c>, a
/// tenant is labelled only when <see cref="TelemetryOptions.LabeledTenants"/> names it, a tier only when the tier table
/// has it.
/// </summary>
public sealed class MetricLabels(IOptions<TelemetryOptions> options, ModelCatalog models)
{
    public const string Other = "other";

    private readonly FrozenSet<string> _tenants = options.Value.LabeledTenants.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The catalog id of a model name or alias; <see cref="Other"/> for anything the catalog does not know.</summary>
    public string Model(string? name) => name is not null && models.TryResolve(name, out var id, out _) ? id : Other;

    /// <summary>The tenant's own label value when it is opted in, else null (the tenant is not labelled).</summary>
    public string? Tenant(string tenantId) => _tenants.Contains(tenantId) ? tenantId : null;
}
