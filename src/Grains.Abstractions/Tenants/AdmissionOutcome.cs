namespace Gateway.Grains.Abstractions.Tenants;

[GenerateSerializer, Alias("gw.AdmissionOutcome")]
public enum AdmissionOutcome
{
    Admitted = 0,
    UnknownTenant = 1,
    ModelNotAllowed = 2,
    RequestRateExceeded = 3,
    TokenRateExceeded = 4,
    ConcurrencyExceeded = 5,
    TokenQuotaExhausted = 6,
    BudgetExhausted = 7,
    RequestTooLarge = 8,
    AccountingUnavailable = 9,

    /// <summary>The tenant's tier is not configured (removed from <c>Gateway:Tiers</c>): nothing can be admitted until an operator fixes it.</summary>
    TierNotConfigured = 10,
}
