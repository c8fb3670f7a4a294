using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>
/// What one tenant activation contributes to the per-tier gauges (open reservations, budget nearly spent), kept as the
/// last values it reported so that each change is reported as a difference: the gauges are the sums over the silo's
/// activations without a registry of them. A deactivation takes its share back.
/// </summary>
internal struct TenantGauges
{
    private string? _tier;
    private int _open;
    private bool _nearlySpent;

    /// <summary>Reports the activation's figures now (under its tier now: a tier change moves them).</summary>
    public void Update(string tier, int open, bool nearlySpent)
    {
        if (_tier is { } previous && previous != tier)
        {
            Clear();
        }

        AccountingMetrics.ReservationsChanged(tier, open - _open);
        AccountingMetrics.BudgetNearlySpentChanged(tier, (nearlySpent ? 1 : 0) - (_nearlySpent ? 1 : 0));
        (_tier, _open, _nearlySpent) = (tier, open, nearlySpent);
    }

    /// <summary>Updates the reservation count alone (a release cannot change what was spent).</summary>
    public void Update(string tier, int open) => Update(tier, open, _nearlySpent);

    /// <summary>The activation is going: its share leaves the gauges.</summary>
    public void Clear()
    {
        if (_tier is { } tier)
        {
            AccountingMetrics.ReservationsChanged(tier, -_open);
            AccountingMetrics.BudgetNearlySpentChanged(tier, _nearlySpent ? -1 : 0);
        }

        (_tier, _open, _nearlySpent) = (null, 0, false);
    }

    public static bool IsNearlySpent(EffectiveLimits limits, decimal spentUsd) =>
        limits.MonthlyBudgetUsd is { } budget && budget > 0 && spentUsd >= budget * AccountingMetrics.NearlySpentFraction;

    /// <summary>An admission outcome as a label value: <c>admitted</c>, <c>budget_exhausted</c>, ...</summary>
    public static string OutcomeLabel(AdmissionOutcome outcome) => (int)outcome < Labels.Length ? Labels[(int)outcome] : "other";

    private static readonly string[] Labels =
    [
        "admitted", "unknown_tenant", "model_not_allowed", "request_rate_exceeded", "token_rate_exceeded", "concurrency_exceeded",
        "token_quota_exhausted", "budget_exhausted", "request_too_large", "accounting_unavailable",
        "tier_not_configured",
    ];
}
