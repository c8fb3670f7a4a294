using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.Grains.Tenants;

/// <summary>
/// What <see cref="AdmissionPolicy"/> decided for one request: the outcome and when to retry; when admitted, the plan the
/// reservation covers, its worst case in tokens and, unless the request holds a reservation already, the
/// <see cref="Reserve"/> to apply in the same turn.
/// </summary>
internal sealed record AdmissionDecision(
    AdmissionOutcome Outcome,
    TimeSpan RetryAfter = default,
    ServingPlan? Plan = null,
    long WorstCaseTokens = 0,
    Reservation? Reserve = null)
{
    public bool IsAdmitted => Outcome == AdmissionOutcome.Admitted;
}
