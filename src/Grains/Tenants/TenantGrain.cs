using Gateway.Catalog;
using Gateway.Catalog.Models;
using Gateway.Catalog.Telemetry;
using Gateway.Catalog.Tiers;
using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Ledger;
using Orleans.Concurrency;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Tenants;

/// <summary>
/// A tenant's limits and accounting in one activation: every admission sees every other request's reservation, so
/// no budget, quota or rate limit can be overspent by concurrent requests. The grain only wires the parts together:
/// <see cref="TenantAccount"/> holds and changes the state, <see cref="AdmissionPolicy"/> decides admissions,
/// <see cref="TenantCheckpoint"/> writes the state, <see cref="TenantReports"/> answers what the tenant looks like.
/// This file holds activation, admission, settlement and reports; <c>TenantGrain.Administration.cs</c> the admin API's
/// calls (configuration and keys).
/// </summary>
/// <remarks>
/// Reentrant, and safe so because no grain call is an <c>async</c> method: each one decides and applies its change
/// synchronously, with the limits in force computed once, then returns at most one task to await, continued (if at all)
/// by a <c>static</c> function that is given values and cannot reach the grain's state. Each change is thus one
/// indivisible turn, while what is awaited (the ledger's commit, storage) lets the next request in meanwhile, so a hot
/// tenant's settlements share group commits instead of queueing behind each other's writes. Only activation awaits
/// before it changes state, and nothing interleaves with activation.
/// </remarks>
[Reentrant]
public sealed partial class TenantGrain(
    [PersistentState("tenant", StorageNames.Tenants)] IPersistentState<TenantState> state,
    IOptionsMonitor<TierCatalogOptions> tiers,
    IOptions<TenantGrainOptions> options,
    ModelCatalog models,
    AdmissionPolicy admission,
    IUsageLedger ledger,
    ILogger<TenantGrain> logger,
    MetricLabels labels,
    [FromKeyedServices(GatewayClock.Key)] TimeProvider time) : Grain, ITenantGrain, ICheckpointHost
{
    private readonly TenantGrainOptions _options = options.Value;
    private TenantSignals _signals;
    private TenantCheckpoint? _checkpoint;
    private TenantAccount? _account;

    /// <summary>The tenant's allowance of token counts (<see cref="AdmitCountAsync"/>); made at the first count.</summary>
    private TokenBucket? _counts;

    // Built on first use, in activation: after storage has read the state, which the constructor runs before. The
    // parts are given the grain itself (ICheckpointHost) or each other, not delegates: an activation holds every tenant's
    // parts while it lives, so each object it saves is saved once per tenant.
    private TenantAccount Account => _account ??= new TenantAccount(state.State, _options, Checkpoint);

    private TenantCheckpoint Checkpoint => _checkpoint ??= new TenantCheckpoint(this);

    private string TenantId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Account.Config is not { } config)
        {
            return;
        }

        // Requests in flight at the last checkpoint still hold what they reserved; settlements after it are in the
        // ledger: replay them, so no charge is lost and the rate limits count them again.
        var now = time.GetUtcNow();
        Account.Reopen(Limits(config), now);
        Account.Recover(await ledger.ReadAfterAsync(TenantId, Account.State.LedgerSeq, cancellationToken), now);
        Observe(Limits(config));
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _signals.Clear();
        return Checkpoint.FlushAsync(onlyIfDirty: true);
    }

    public Task<AdmissionResult> AdmitAsync(AdmissionRequest request)
    {
        if (Refreshed() is not (var now, var limits))
        {
            return Refused(AdmissionOutcome.UnknownTenant);
        }

        if (limits is null)
        {
            _signals.TierMissing(logger, TenantId, Account.Config!.Tier, labels.Tenant(TenantId));
            return Refused(AdmissionOutcome.TierNotConfigured);
        }

        var decision = admission.Decide(request, Account, limits, ledger.IsAcceptingWrites, now);
        if (decision.Reserve is { } reservation)
        {
            Account.Reserve(reservation, now);
        }

        _signals.Admission(Account.Config!.Tier, labels.Tenant(TenantId), decision.Outcome, Account.Reservations.Count);
        return Task.FromResult(TenantReports.Admission(decision, Account, limits, now));
    }

    public Task<AdmissionResult> AdmitCountAsync(string modelId)
    {
        if (Refreshed() is not (var now, var limits))
        {
            return Refused(AdmissionOutcome.UnknownTenant);
        }

        if (limits is null)
        {
            return Refused(AdmissionOutcome.TierNotConfigured);
        }

        if (Account.Config!.AllowedModels is { } allowed && !allowed.Contains(modelId, StringComparer.OrdinalIgnoreCase))
        {
            return Refused(AdmissionOutcome.ModelNotAllowed);
        }

        // In memory only: a reactivated tenant starts with a full allowance, as a tenant does at creation.
        var counts = _counts ??= new TokenBucket(limits.RequestsPerMinute, now);
        counts.Resize(limits.RequestsPerMinute, now);
        var outcome = counts.TryTake(1, now, out var retryAfter) ? AdmissionOutcome.Admitted : AdmissionOutcome.RequestRateExceeded;
        var status = new RateLimitStatus(counts.Capacity, counts.Available(now), counts.TimeUntilFull(now), 0, 0, TimeSpan.Zero);
        return Task.FromResult(new AdmissionResult(outcome, status, retryAfter));
    }

    /// <summary>A refusal decided before any bucket is looked at: no rate-limit figures, nothing to wait for.</summary>
    private static Task<AdmissionResult> Refused(AdmissionOutcome outcome) =>
        Task.FromResult(new AdmissionResult(outcome, RateLimitStatus.Empty, TimeSpan.Zero));

    public Task<int> GetPromptCeilingAsync(AdmissionRequest request) =>
        Task.FromResult(Refreshed() is (var now, { } limits) ? admission.PromptCeiling(request, Account, limits, ledger.IsAcceptingWrites, now) : 0);

    public Task SettleAsync(Settlement settlement)
    {
        if (Account.Reservations.WasSettled(settlement.RequestId) || Refreshed() is not (var now, var limits))
        {
            return Task.CompletedTask;
        }

        var entry = Account.Charge(settlement, TenantId, models, now);

        // Handed to the ledger before anything is counted: if the ledger refuses it (shutting down), nothing changed.
        // Returns once the entry is durable; the state write that follows within the flush interval is only a checkpoint.
        // While the database is unreachable the entry waits in the ledger's bounded buffer and is retried: after a
        // bounded wait the settlement answers anyway, so a served request is delivered rather than failed while its
        // row is still on the way (admission stops once the buffer is full).
        var written = ledger.AppendAsync(entry);
        Account.Settle(entry, now);
        TenantSignals.Charged(entry, Account.Config!.Tier, labels.Tenant(TenantId), labels);
        Observe(limits);
        return DurableOrLaterAsync(written, _options.SettlementDurabilityWait);

        static async Task DurableOrLaterAsync(Task written, TimeSpan wait)
        {
            try
            {
                await written.WaitAsync(wait);
            }
            catch (TimeoutException)
            {
                written.Ignore();
            }
        }
    }

    public Task ReleaseAsync(string requestId)
    {
        Account.Release(requestId, time.GetUtcNow());
        if (Account.Config is { } config)
        {
            _signals.Update(config.Tier, Account.Reservations.Count);
        }

        return Task.CompletedTask;
    }

    public Task<UsageReport?> GetUsageAsync()
    {
        if (Account.Config is not { } config)
        {
            return Task.FromResult<UsageReport?>(null);
        }

        var now = time.GetUtcNow();
        Account.Advance(now);
        return Task.FromResult<UsageReport?>(TenantReports.Usage(Account, Limits(config), now));
    }

    public Task<LedgerPage> GetLedgerAsync(LedgerQuery query) => ledger.PageAsync(TenantId, query);

    public Task<RateLimitStatus> GetRateLimitsAsync()
    {
        if (Account.Config is not { } config)
        {
            return Task.FromResult(RateLimitStatus.Empty);
        }

        if (Limits(config) is not { } limits)
        {
            return Task.FromResult(RateLimitStatus.Empty);
        }

        var now = time.GetUtcNow();
        Account.EnsureBuckets(limits, now);
        return Task.FromResult(TenantReports.RateLimits(Account, now));
    }

    /// <summary>
    /// How a turn that admits, settles or reads starts: the limits in force, computed once, and the account brought to
    /// now with them; null when the tenant does not exist. The limits are null when its tier is not configured.
    /// </summary>
    private (DateTimeOffset Now, EffectiveLimits? Limits)? Refreshed()
    {
        if (Account.Config is not { } config)
        {
            return null;
        }

        var (now, limits) = (time.GetUtcNow(), Limits(config));
        Account.Refresh(limits, now);
        return (now, limits);
    }

    private void Observe(EffectiveLimits? limits) => _signals.Observe(Account.Config!.Tier, Account.Reservations.Count, limits, Account.Month.CostUsd);

    private EffectiveLimits? Limits(TenantConfig config) => LimitsInForce.Of(config, tiers.CurrentValue);

    Task ICheckpointHost.WriteCheckpointAsync()
    {
        Account.SaveReservations();
        return state.WriteStateAsync();
    }

    IDisposable ICheckpointHost.ScheduleFlush(TenantCheckpoint checkpoint) => this.RegisterGrainTimer(
        static (grain, _) => grain.FlushDueAsync(),
        this,
        new GrainTimerCreationOptions(_options.StateFlushInterval, Timeout.InfiniteTimeSpan) { Interleave = true });

    private Task FlushDueAsync()
    {
        Account.Reservations.Trim();
        return Checkpoint.FlushDueAsync();
    }

    private static async Task<T> After<T>(Task task, T result)
    {
        await task;
        return result;
    }
}
