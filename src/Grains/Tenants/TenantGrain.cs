using System.Globalization;
using Gateway.Catalog;
using Gateway.Catalog.Models;
using Gateway.Catalog.Tiers;
using Gateway.Grains.Abstractions.Keys;
using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Ledger;
using Orleans.Concurrency;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Tenants;

/// <summary>
/// A tenant's limits and accounting in one activation: every admission sees every other request's reservation, so
/// no budget, quota or rate limit can be overspent by concurrent requests. Reentrant, but every method changes state
/// only in the synchronous part before its first await, so each change is still one indivisible turn; what is
/// awaited (the ledger's commit, storage) lets the next request in meanwhile, so a hot tenant's settlements share
/// group commits instead of queueing behind each other's writes.
/// </summary>
[Reentrant]
public sealed class TenantGrain(
    [PersistentState("tenant", StorageNames.Tenants)] IPersistentState<TenantState> state,
    IOptionsMonitor<TierCatalogOptions> tiers,
    IOptions<TenantGrainOptions> options,
    ModelCatalog models,
    IUsageLedger ledger,
    [FromKeyedServices(GatewayClock.Key)] TimeProvider time) : Grain, ITenantGrain
{
    private readonly TenantGrainOptions _options = options.Value;
    private readonly ReservationBook _reservations = new(options.Value.SettlementMemory);
    private Task _flushing = Task.CompletedTask;
    private bool _dirty;
    private IGrainTimer? _flushTimer;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (State.Exists)
        {
            // Requests in flight at the last checkpoint still hold what they reserved; settlements after it are in
            // the ledger: replay them, so no charge is lost and the rate limits count them again.
            var now = time.GetUtcNow();
            RollPeriod(now);
            EnsureBuckets(Limits(), now);
            foreach (var open in State.OpenReservations)
            {
                _reservations.Add(open.ToReservation());
            }

            foreach (var entry in await ledger.ReadAfterAsync(TenantId, State.LedgerSeq, cancellationToken))
            {
                Replay(entry, now);
            }

            ReleaseExpired(now);
        }

    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        FlushAsync(onlyIfDirty: true);

    private TenantState State => state.State;

    private string TenantId => this.GetPrimaryKeyString();

    public async Task<TenantView?> CreateAsync(TenantConfig config)
    {
        if (State.Exists)
        {
            return null;
        }

        var now = time.GetUtcNow();
        State.Config = config;
        State.CreatedAt = now;
        RollPeriod(now);
        EnsureBuckets(Limits(), now);
        await FlushAsync();
        return View(now);
    }

    public Task<TenantView?> GetAsync()
    {
        if (!State.Exists)
        {
            return Task.FromResult<TenantView?>(null);
        }

        var now = time.GetUtcNow();
        ReleaseExpired(now);
        RollPeriod(now);
        return Task.FromResult<TenantView?>(View(now));
    }

    public async Task<TenantView?> UpdateAsync(TenantPatch patch)
    {
        if (State.Config is not { } config)
        {
            return null;
        }

        var limits = config.Limits;
        State.Config = config with
        {
            Tier = patch.Tier ?? config.Tier,
            AllowedModels = patch.AllowedModels.ApplyTo(config.AllowedModels),
            MonthlyBudgetUsd = patch.MonthlyBudgetUsd.ApplyTo(config.MonthlyBudgetUsd),
            MonthlyTokenQuota = patch.MonthlyTokenQuota.ApplyTo(config.MonthlyTokenQuota),
            Limits = new TenantLimits(
                patch.RequestsPerMinute.ApplyTo(limits.RequestsPerMinute),
                patch.TokensPerMinute.ApplyTo(limits.TokensPerMinute),
                patch.MaxConcurrent.ApplyTo(limits.MaxConcurrent)),
            Cache = patch.Cache.ApplyTo(config.Cache),
            AllowedOrigins = patch.AllowedOrigins.ApplyTo(config.AllowedOrigins),
        };

        var now = time.GetUtcNow();
        EnsureBuckets(Limits(), now);
        await FlushAsync();
        return View(now);
    }

    public async Task<AddKeyResult> AddKeyAsync(string keyId, string keyHash)
    {
        if (!State.Exists)
        {
            return new AddKeyResult(AddKeyOutcome.UnknownTenant);
        }

        if (State.Keys.Count >= _options.MaxKeys)
        {
            return new AddKeyResult(AddKeyOutcome.TooManyKeys, MaxKeys: _options.MaxKeys);
        }

        var entry = new ApiKeyEntry { Id = keyId, Hash = keyHash, CreatedAt = time.GetUtcNow() };
        State.Keys.Add(entry);
        await FlushAsync();

        // Registered after the tenant has recorded it, so a key that resolves is always one the tenant knows.
        await GrainFactory.GetGrain<IApiKeyGrain>(keyHash).RegisterAsync(new ApiKeyRecord(TenantId, keyId, Revoked: false));
        return new AddKeyResult(AddKeyOutcome.Added, ToInfo(entry));
    }

    public Task<bool> IsOriginAllowedAsync(string origin) =>
        Task.FromResult(State.Config?.AllowedOrigins?.Contains(origin, StringComparer.OrdinalIgnoreCase) == true);

    public async Task<bool> RevokeKeyAsync(string keyId)
    {
        var entry = State.Keys.Find(k => k.Id == keyId);
        if (entry is null)
        {
            return false;
        }

        if (entry.RevokedAt is null)
        {
            entry.RevokedAt = time.GetUtcNow();
            await FlushAsync();
        }

        // Repeated on every call, so a revocation interrupted between the two writes completes when retried.
        await GrainFactory.GetGrain<IApiKeyGrain>(entry.Hash).RevokeAsync();
        return true;
    }

    public Task<AdmissionResult> AdmitAsync(AdmissionRequest request) => Task.FromResult(Admit(request));

    private AdmissionResult Admit(AdmissionRequest request)
    {
        if (State.Config is not { } config)
        {
            return new AdmissionResult(AdmissionOutcome.UnknownTenant, RateLimitStatus.Empty, TimeSpan.Zero);
        }

        var now = time.GetUtcNow();
        ReleaseExpired(now);
        RollPeriod(now);
        var limits = Limits();
        EnsureBuckets(limits, now);

        if (!models.TryResolve(request.Model, out var modelId, out var model) || !IsAllowed(config, modelId))
        {
            return Result(AdmissionOutcome.ModelNotAllowed, now);
        }

        var (chain, tokens, cost) = WorstCase(config, modelId, model, request);
        if (_reservations.Contains(request.RequestId) || _reservations.WasSettled(request.RequestId))
        {
            // A repeated admission of the same request holds nothing twice.
            return Result(AdmissionOutcome.Admitted, now) with { Chain = chain, ReservedTokens = tokens, Cache = EnabledCache(config) };
        }

        if (!ledger.IsAcceptingWrites)
        {
            return Result(AdmissionOutcome.AccountingUnavailable, now, TimeSpan.FromSeconds(1));
        }

        var pricing = new Pricing(modelId, model);
        if (limits.MonthlyTokenQuota is { } quota && State.Month.TotalTokens + _reservations.Tokens + tokens > quota)
        {
            return Result(AdmissionOutcome.TokenQuotaExhausted, now);
        }

        if (limits.MonthlyBudgetUsd is { } budget && State.Month.CostUsd + _reservations.CostUsd + cost > budget)
        {
            return Result(AdmissionOutcome.BudgetExhausted, now);
        }

        if (tokens > State.TokenBucket!.Capacity)
        {
            return Result(AdmissionOutcome.RequestTooLarge, now, TimeSpan.FromMinutes(1));
        }

        if (_reservations.Count >= limits.MaxConcurrent)
        {
            return Result(AdmissionOutcome.ConcurrencyExceeded, now, TimeSpan.FromSeconds(1));
        }

        if (!State.RequestBucket!.TryTake(1, now, out var requestWait))
        {
            return Result(AdmissionOutcome.RequestRateExceeded, now, requestWait);
        }

        if (!State.TokenBucket.TryTake(tokens, now, out var tokenWait))
        {
            State.RequestBucket.Adjust(-1, now);
            return Result(AdmissionOutcome.TokenRateExceeded, now, tokenWait);
        }

        _reservations.Add(new Reservation(request.RequestId, pricing, tokens, cost, now + _options.ReservationTimeout));
        MarkDirty();
        return Result(AdmissionOutcome.Admitted, now) with { Chain = chain, ReservedTokens = tokens, Cache = EnabledCache(config) };
    }

    public Task<int> GetPromptCeilingAsync(AdmissionRequest request)
    {
        if (State.Config is not { } config)
        {
            return Task.FromResult(0);
        }

        var now = time.GetUtcNow();
        ReleaseExpired(now);
        RollPeriod(now);
        var limits = Limits();
        EnsureBuckets(limits, now);
        if (!models.TryResolve(request.Model, out var modelId, out var model) || !IsAllowed(config, modelId)
            || !ledger.IsAcceptingWrites || _reservations.Count >= limits.MaxConcurrent || State.RequestBucket!.Available(now) < 1)
        {
            return Task.FromResult(0);
        }

        // The checks of Admit that depend on the prompt, all monotonic in it: the largest prompt that passes them.
        var available = State.TokenBucket!.Available(now);
        bool Fits(int prompt)
        {
            var (_, tokens, cost) = WorstCase(config, modelId, model, request with { PromptTokens = prompt });
            return tokens <= available
                && (limits.MonthlyTokenQuota is not { } quota || State.Month.TotalTokens + _reservations.Tokens + tokens <= quota)
                && (limits.MonthlyBudgetUsd is not { } budget || State.Month.CostUsd + _reservations.CostUsd + cost <= budget);
        }

        int low = 0, high = Math.Max(0, request.PromptTokens);
        if (!Fits(low))
        {
            return Task.FromResult(0);
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

        return Task.FromResult(low);
    }

    /// <summary>
    /// The models that may serve the request (the requested one, then its fallbacks that exist and that the tenant may
    /// use) and the worst case over all of them: whichever serves, the reservation covers it.
    /// </summary>
    private (string[] Chain, long Tokens, decimal Cost) WorstCase(TenantConfig config, string modelId, ModelDefinition model, AdmissionRequest request)
    {
        long tokens = (long)request.PromptTokens + request.MaxOutputTokens;
        var cost = new Pricing(modelId, model).CostUsd(request.PromptTokens, request.MaxOutputTokens);
        if (model.Fallbacks.Count == 0)
        {
            return ([modelId], tokens, cost);
        }

        var chain = new List<string> { modelId };
        foreach (var name in model.Fallbacks)
        {
            if (!models.TryResolve(name, out var fallbackId, out var fallback) || !IsAllowed(config, fallbackId)
                || chain.Contains(fallbackId, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            chain.Add(fallbackId);
            long output = (long)(request.RequestedOutputTokens ?? fallback.MaxOutputTokens) * Math.Max(1, request.Choices);
            tokens = Math.Max(tokens, request.PromptTokens + output);
            cost = Math.Max(cost, new Pricing(fallbackId, fallback).CostUsd(request.PromptTokens, output));
        }

        return ([.. chain], tokens, cost);
    }

    public async Task SettleAsync(Settlement settlement)
    {
        if (!State.Exists || _reservations.WasSettled(settlement.RequestId))
        {
            return;
        }

        var now = time.GetUtcNow();
        ReleaseExpired(now);
        RollPeriod(now);
        EnsureBuckets(Limits(), now);

        // Priced as at admission when the reservation is still open and the requested model served, so a price change
        // mid-request changes nothing; a fallback that served is priced as the catalog prices it now.
        var reservation = _reservations.Find(settlement.RequestId);
        var pricing = (reservation?.Pricing is { } reserved && string.Equals(reserved.ModelId, settlement.Model, StringComparison.OrdinalIgnoreCase) ? reserved : null)
            ?? (models.TryResolve(settlement.Model, out var id, out var model) ? new Pricing(id, model) : null)
            ?? throw new InvalidOperationException($"Model '{settlement.Model}' is not in the catalog; request {settlement.RequestId} cannot be priced.");

        // A hit of the response cache is charged the tenant's fraction of what its stored answer cost.
        var cached = settlement.Outcome == Settlement.Cached;
        var cost = pricing.CostUsd(settlement.InputTokens, settlement.OutputTokens);
        if (cached)
        {
            cost *= State.Config!.Cache?.HitCostFraction ?? 0m;
        }

        // The deployment that served names the provider: a model with several deployments has no provider of its own.
        var entry = new LedgerEntry(TenantId, State.LedgerSeq + 1, settlement.RequestId, now, pricing.ModelId, settlement.Provider ?? pricing.Provider,
            settlement.InputTokens, settlement.OutputTokens, cost, settlement.Outcome,
            settlement.RequestedModel is { } requested && !string.Equals(requested, pricing.ModelId, StringComparison.OrdinalIgnoreCase) ? requested : null,
            settlement.Attempts, settlement.UsageCounted);

        // Handed to the ledger before anything is counted: if the ledger refuses it (shutting down), nothing changed.
        // Returns once the entry is durable; the state write that follows within the flush interval is only a checkpoint.
        // While the database is unreachable the entry waits in the ledger's bounded buffer and is retried: after a
        // bounded wait the settlement answers anyway, so a served request is delivered rather than failed while its
        // row is still on the way (admission stops once the buffer is full).
        var written = ledger.AppendAsync(entry);
        _reservations.Remove(settlement.RequestId);
        State.TokenBucket!.Adjust(TokensUsed(entry) - (reservation?.Tokens ?? 0), now);
        Record(entry);
        _reservations.MarkSettled(settlement.RequestId);
        State.LedgerSeq = entry.Seq;
        MarkDirty();
        try
        {
            await written.WaitAsync(_options.SettlementDurabilityWait);
        }
        catch (TimeoutException)
        {
            written.Ignore();
        }
    }

    /// <summary>Applies a ledger row written after the saved state: its usage, and its place in the rate limits.</summary>
    private void Replay(LedgerEntry entry, DateTimeOffset now)
    {
        Record(entry);
        var used = TokensUsed(entry);
        if (_reservations.Remove(entry.RequestId) is { } reservation)
        {
            // Admitted before the checkpoint: the saved buckets hold its reservation; correct it to what was used.
            State.TokenBucket!.Adjust(used - reservation.Tokens, now);
        }
        else if (now - entry.RecordedAt < TimeSpan.FromMinutes(1))
        {
            // Admitted after the checkpoint: the saved buckets never saw it (older rows have refilled since).
            State.RequestBucket!.Adjust(1, now);
            State.TokenBucket!.Adjust(used, now);
        }

        _reservations.MarkSettled(entry.RequestId);
        State.LedgerSeq = entry.Seq;
        MarkDirty();
    }

    public Task ReleaseAsync(string requestId)
    {
        var now = time.GetUtcNow();
        ReleaseExpired(now);
        if (_reservations.Remove(requestId) is { } reservation && State.TokenBucket is { } bucket)
        {
            bucket.Adjust(-reservation.Tokens, now);
            MarkDirty();
        }

        return Task.CompletedTask;
    }

    public Task<UsageReport?> GetUsageAsync()
    {
        if (!State.Exists)
        {
            return Task.FromResult<UsageReport?>(null);
        }

        var now = time.GetUtcNow();
        ReleaseExpired(now);
        RollPeriod(now);
        return Task.FromResult<UsageReport?>(Usage(now));
    }

    public Task<LedgerPage> GetLedgerAsync(LedgerQuery query) => ledger.PageAsync(TenantId, query);

    public Task<RateLimitStatus> GetRateLimitsAsync()
    {
        if (!State.Exists)
        {
            return Task.FromResult(RateLimitStatus.Empty);
        }

        var now = time.GetUtcNow();
        EnsureBuckets(Limits(), now);
        return Task.FromResult(RateLimits(now));
    }

    private AdmissionResult Result(AdmissionOutcome outcome, DateTimeOffset now, TimeSpan retryAfter = default) =>
        new(outcome, RateLimits(now), retryAfter);

    private RateLimitStatus RateLimits(DateTimeOffset now)
    {
        var requests = State.RequestBucket!;
        var tokens = State.TokenBucket!;
        return new RateLimitStatus(
            requests.Capacity, requests.Available(now), requests.TimeUntilFull(now),
            tokens.Capacity, tokens.Available(now), tokens.TimeUntilFull(now));
    }

    private static bool IsAllowed(TenantConfig config, string modelId) =>
        config.AllowedModels is null || config.AllowedModels.Contains(modelId, StringComparer.OrdinalIgnoreCase);

    private EffectiveLimits Limits()
    {
        var config = State.Config!;
        if (!tiers.CurrentValue.TryGet(config.Tier, out var tier))
        {
            throw new InvalidOperationException($"Tenant '{TenantId}' has tier '{config.Tier}', which is not configured (Gateway:Tiers).");
        }

        return new EffectiveLimits(
            config.Limits.RequestsPerMinute ?? tier.RequestsPerMinute,
            config.Limits.TokensPerMinute ?? tier.TokensPerMinute,
            config.Limits.MaxConcurrent ?? tier.MaxConcurrent,
            config.MonthlyTokenQuota ?? tier.MonthlyTokenQuota,
            config.MonthlyBudgetUsd,
            tier.FairShareWeight);
    }

    private void EnsureBuckets(EffectiveLimits limits, DateTimeOffset now)
    {
        if (State.RequestBucket is null)
        {
            State.RequestBucket = new TokenBucket(limits.RequestsPerMinute, now);
        }
        else
        {
            State.RequestBucket.Resize(limits.RequestsPerMinute, now);
        }

        if (State.TokenBucket is null)
        {
            State.TokenBucket = new TokenBucket(limits.TokensPerMinute, now);
        }
        else
        {
            State.TokenBucket.Resize(limits.TokensPerMinute, now);
        }
    }

    private void ReleaseExpired(DateTimeOffset now)
    {
        if (_reservations.RemoveExpired(now) is not { } expired)
        {
            return;
        }

        foreach (var reservation in expired)
        {
            State.TokenBucket?.Adjust(-reservation.Tokens, now);
        }

        MarkDirty();
    }

    private void RollPeriod(DateTimeOffset now)
    {
        var period = PeriodOf(now);
        if (State.Period == period)
        {
            return;
        }

        State.Period = period;
        State.Month = new UsageCounters();
        State.MonthByModel = new Dictionary<string, UsageCounters>(StringComparer.Ordinal);
    }

    private static TenantCacheSettings? EnabledCache(TenantConfig config) => config.Cache is { Enabled: true } settings ? settings : null;

    /// <summary>Tokens a settled request took from the provider (and from the tenant's limits): none for a cache hit.</summary>
    private static long TokensUsed(LedgerEntry entry) =>
        entry.Outcome == Settlement.Cached ? 0 : entry.InputTokens + entry.OutputTokens;

    /// <summary>Counts a settled request in the month, its model and its day (the live path and recovery alike).</summary>
    private void Record(LedgerEntry entry)
    {
        var (at, modelId) = (entry.RecordedAt, entry.Model);
        if (PeriodOf(at) == State.Period)
        {
            State.Month.Add(entry);
            Counter(State.MonthByModel, modelId).Add(entry);
        }

        var day = DateOnly.FromDateTime(at.UtcDateTime);
        if (!State.Daily.TryGetValue(day, out var byModel))
        {
            State.Daily[day] = byModel = new Dictionary<string, UsageCounters>(StringComparer.Ordinal);
            var oldest = day.AddDays(1 - _options.DailyRetentionDays);
            foreach (var expired in State.Daily.Keys.Where(d => d < oldest).ToList())
            {
                State.Daily.Remove(expired);
            }
        }

        Counter(byModel, modelId).Add(entry);

        static UsageCounters Counter(Dictionary<string, UsageCounters> counters, string key)
        {
            if (!counters.TryGetValue(key, out var counter))
            {
                counters[key] = counter = new UsageCounters();
            }

            return counter;
        }
    }

    /// <summary>
    /// Notes that the state changed: it is written within the flush interval, by a one-shot timer that exists only
    /// while there is something to write (an idle tenant holds no timer).
    /// </summary>
    private void MarkDirty()
    {
        _dirty = true;
        _flushTimer ??= this.RegisterGrainTimer(
            _ => FlushDueAsync(),
            new GrainTimerCreationOptions(_options.StateFlushInterval, Timeout.InfiniteTimeSpan) { Interleave = true });
    }

    private Task FlushDueAsync()
    {
        _flushTimer?.Dispose();
        _flushTimer = null;
        _reservations.Trim();
        return FlushAsync(onlyIfDirty: true);
    }

    /// <summary>Writes the state, one write at a time: a write asked for while one is running follows it.</summary>
    private Task FlushAsync(bool onlyIfDirty = false)
    {
        if (onlyIfDirty && !_dirty)
        {
            return _flushing;
        }

        _dirty = true;
        return _flushing = WriteAfterAsync(_flushing);

        async Task WriteAfterAsync(Task previous)
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            if (!_dirty)
            {
                return;
            }

            _dirty = false;
            State.OpenReservations = _reservations.Open.Select(OpenReservation.From).ToList();
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                MarkDirty();
                throw;
            }
        }
    }

    private static string PeriodOf(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private TenantView View(DateTimeOffset now)
    {
        EnsureBuckets(Limits(), now);
        return new TenantView(
            TenantId,
            State.Config!,
            Limits(),
            State.Keys.Select(ToInfo).ToArray(),
            Usage(now),
            State.CreatedAt);
    }

    private UsageReport Usage(DateTimeOffset now)
    {
        var limits = Limits();
        var month = State.Period == PeriodOf(now) ? State.Month : new UsageCounters();
        var period = PeriodOf(now);
        var byModel = State.Period == period
            ? State.MonthByModel.OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => new ModelUsage(m.Key, m.Value.Requests, m.Value.InputTokens, m.Value.OutputTokens, m.Value.CostUsd))
                .ToArray()
            : [];
        var monthStart = new DateOnly(now.UtcDateTime.Year, now.UtcDateTime.Month, 1);
        var byDay = State.Daily.Where(d => d.Key >= monthStart)
            .OrderBy(d => d.Key)
            .SelectMany(d => d.Value.OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => new DailyUsage(d.Key, m.Key, m.Value.Requests, m.Value.InputTokens, m.Value.OutputTokens, m.Value.CostUsd)))
            .ToArray();

        return new UsageReport(
            period,
            month.Requests,
            month.InputTokens,
            month.OutputTokens,
            month.CostUsd,
            limits.MonthlyBudgetUsd,
            limits.MonthlyBudgetUsd is { } budget ? Math.Max(0m, budget - month.CostUsd) : null,
            limits.MonthlyTokenQuota,
            limits.MonthlyTokenQuota is { } quota ? Math.Max(0L, quota - month.TotalTokens) : null,
            byModel,
            byDay,
            _reservations.Count,
            _reservations.Tokens,
            _reservations.CostUsd,
            month.CacheHits,
            month.CacheSavedTokens);
    }

    private static ApiKeyInfo ToInfo(ApiKeyEntry entry) => new(entry.Id, entry.CreatedAt, entry.RevokedAt);
}
