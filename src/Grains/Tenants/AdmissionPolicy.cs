using Gateway.Grains.Abstractions.Tenants;
using Gateway.Catalog.Models;

namespace Gateway.Grains.Tenants;

/// <summary>
/// Whether a tenant admits a request now, decided without changing anything: allow-list, quota and budget (used plus
/// reserved plus this request's worst case), size, concurrency, then the request and token rates, in that order. The
/// caller applies what it decided (<see cref="TenantAccount.Reserve"/>) in the same turn, on the account it was decided
/// on, which has been brought to <c>now</c> first (<see cref="TenantAccount.Refresh"/>).
/// </summary>
/// <remarks>
/// Holds no tenant's state, so a silo has one (a singleton the tenant grains are given) rather than one per activation.
/// Public only so that the public grain can take it in its constructor; what it decides on is internal.
/// </remarks>
public sealed class AdmissionPolicy(ModelCatalog models, TimeSpan reservationTimeout)
{
    /// <summary>Retry-after while the ledger refuses writes (its buffer is full): it drains within seconds once the database answers.</summary>
    public static readonly TimeSpan AccountingRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>Retry-after of a request larger than the tokens per minute: the bucket is never fuller than after a minute.</summary>
    public static readonly TimeSpan TooLargeRetryAfter = TimeSpan.FromMinutes(1);

    /// <summary>Retry-after at the concurrency cap: requests in flight usually end within a second or so.</summary>
    public static readonly TimeSpan ConcurrencyRetryAfter = TimeSpan.FromSeconds(1);

    internal AdmissionDecision Decide(AdmissionRequest request, TenantAccount account, EffectiveLimits limits, bool ledgerAcceptsWrites, DateTimeOffset now)
    {
        if (ServingPlan.For(request, account.Config!, models) is not { } plan)
        {
            return new AdmissionDecision(AdmissionOutcome.ModelNotAllowed);
        }

        var (tokens, cost) = plan.WorstCase(request.PromptTokens);
        var reservations = account.Reservations;
        if (reservations.Contains(request.RequestId) || reservations.WasSettled(request.RequestId))
        {
            // A repeated admission of the same request holds nothing twice.
            return new AdmissionDecision(AdmissionOutcome.Admitted, Plan: plan, WorstCaseTokens: tokens);
        }

        if (!ledgerAcceptsWrites)
        {
            return new AdmissionDecision(AdmissionOutcome.AccountingUnavailable, AccountingRetryAfter);
        }

        if (!WithinQuota(account, limits, tokens))
        {
            return new AdmissionDecision(AdmissionOutcome.TokenQuotaExhausted);
        }

        if (!WithinBudget(account, limits, cost))
        {
            return new AdmissionDecision(AdmissionOutcome.BudgetExhausted);
        }

        if (tokens > account.TokenBucket.Capacity)
        {
            return new AdmissionDecision(AdmissionOutcome.RequestTooLarge, TooLargeRetryAfter);
        }

        if (reservations.Count >= limits.MaxConcurrent)
        {
            return new AdmissionDecision(AdmissionOutcome.ConcurrencyExceeded, ConcurrencyRetryAfter);
        }

        if (account.RequestBucket.TimeUntilAvailable(1, now) is { Ticks: > 0 } requestWait)
        {
            return new AdmissionDecision(AdmissionOutcome.RequestRateExceeded, requestWait);
        }

        if (account.TokenBucket.TimeUntilAvailable(tokens, now) is { Ticks: > 0 } tokenWait)
        {
            return new AdmissionDecision(AdmissionOutcome.TokenRateExceeded, tokenWait);
        }

        return new AdmissionDecision(AdmissionOutcome.Admitted, Plan: plan, WorstCaseTokens: tokens,
            Reserve: new Reservation(request.RequestId, plan.Requested, tokens, cost, now + reservationTimeout));
    }

    /// <summary>
    /// The most prompt tokens, up to the request's own, that <see cref="Decide"/> would admit now with the request's output;
    /// 0 when it would refuse whatever the prompt. The checks that depend on the prompt are all monotonic in it, so the
    /// answer is found by bisection over one plan.
    /// </summary>
    internal int PromptCeiling(AdmissionRequest request, TenantAccount account, EffectiveLimits limits, bool ledgerAcceptsWrites, DateTimeOffset now)
    {
        if (ServingPlan.For(request, account.Config!, models) is not { } plan || !ledgerAcceptsWrites
            || account.Reservations.Count >= limits.MaxConcurrent || account.RequestBucket.Available(now) < 1)
        {
            return 0;
        }

        var available = account.TokenBucket.Available(now);
        bool Fits(int prompt)
        {
            var (tokens, cost) = plan.WorstCase(prompt);
            return tokens <= available && WithinQuota(account, limits, tokens) && WithinBudget(account, limits, cost);
        }

        int low = 0, high = Math.Max(0, request.PromptTokens);
        if (!Fits(low))
        {
            return 0;
        }

        while (low < high)
        {
            var middle = low + ((high - low + 1) / 2);
            if (Fits(middle))
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    private static bool WithinQuota(TenantAccount account, EffectiveLimits limits, long tokens) =>
        limits.MonthlyTokenQuota is not { } quota || account.Month.TotalTokens + account.Reservations.Tokens + tokens <= quota;

    private static bool WithinBudget(TenantAccount account, EffectiveLimits limits, decimal cost) =>
        limits.MonthlyBudgetUsd is not { } budget || account.Month.CostUsd + account.Reservations.CostUsd + cost <= budget;
}
