using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;
using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Tenants;

/// <summary>
/// What one tenant activation tells operators: its admissions and charges (counted from the ledger entries themselves,
/// so the scraped totals are the ledger's), its share of the per-tier gauges (open reservations, budget nearly spent) and,
/// once per activation, that its tier is missing. The gauge figures are kept as the last values reported so that each
/// change is reported as a difference: the gauges are the sums over the silo's activations without a registry of them.
/// A deactivation takes its share back.
/// </summary>
internal struct TenantSignals
{
    private string? _tier;
    private int _open;
    private bool _nearlySpent;
    private bool _toldTierMissing;

    /// <summary>An admission decided: counted by outcome, and the open reservations it left.</summary>
    public void Admission(string tier, string? tenantLabel, AdmissionOutcome outcome, int open)
    {
        AccountingMetrics.RecordAdmission(tier, tenantLabel, OutcomeLabel(outcome));
        Update(tier, open);
    }

    /// <summary>A request refused because the tenant's tier is not configured: counted, and the operator told once per activation.</summary>
    public void TierMissing(ILogger logger, string tenantId, string tier, string? tenantLabel)
    {
        AccountingMetrics.RecordAdmission(tier, tenantLabel, OutcomeLabel(AdmissionOutcome.TierNotConfigured));
        if (!_toldTierMissing)
        {
            _toldTierMissing = true;
            TenantLog.TierNotConfigured(logger, tenantId, tier);
        }
    }

    /// <summary>A ledger entry's charge, as the metrics count it: the same entry the ledger records, so their totals agree.</summary>
    public static void Charged(LedgerEntry entry, string tier, string? tenantLabel, MetricLabels labels)
    {
        var model = labels.Model(entry.Model);
        AccountingMetrics.RecordCharge(model, tier, tenantLabel, entry);
        if (entry.Outcome != Settlement.Cached)
        {
            GenAiMetrics.RecordTokens(entry.Provider, entry.RequestedModel is { } requested ? labels.Model(requested) : model, model, entry.InputTokens, entry.OutputTokens);
        }
    }

    /// <summary>The gauges after a change of limits or spending: open reservations, and whether the budget is nearly spent.</summary>
    public void Observe(string tier, int open, EffectiveLimits? limits, decimal spentUsd) =>
        Update(tier, open, limits is not null && IsNearlySpent(limits, spentUsd));

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

    private static bool IsNearlySpent(EffectiveLimits limits, decimal spentUsd) =>
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
