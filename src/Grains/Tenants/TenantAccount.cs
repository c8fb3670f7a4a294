using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Catalog.Models;

namespace Gateway.Grains.Tenants;

/// <summary>
/// A tenant's state in memory and every change made to it: configuration, keys, rate buckets, open reservations
/// (<see cref="ReservationBook"/>) and settled usage (<see cref="UsageBook"/>). Each method is one synchronous change;
/// one that the saved state must follow within the flush interval tells <c>changes</c> (the checkpoint's dirty flag),
/// while configuration and keys are flushed by the caller at once. Whether a request is admitted is
/// <see cref="AdmissionPolicy"/>'s decision, applied here by <see cref="Reserve"/>.
/// </summary>
internal sealed class TenantAccount(TenantState state, TenantGrainOptions options, IStateChanges changes)
{
    public TenantState State => state;

    public bool Exists => state.Exists;

    public TenantConfig? Config => state.Config;

    public ReservationBook Reservations { get; } = new(options.SettlementMemory);

    public UsageBook Usage { get; } = new(state, options.DailyRetentionDays);

    /// <summary>The counted month's totals (see <see cref="UsageBook.Month"/>).</summary>
    public UsageCounters Month => state.Month;

    /// <summary>Requests per minute; there once the tenant exists and <see cref="EnsureBuckets"/> has run.</summary>
    public TokenBucket RequestBucket => state.RequestBucket ?? throw NoBuckets();

    /// <summary>Tokens per minute; there once the tenant exists and <see cref="EnsureBuckets"/> has run.</summary>
    public TokenBucket TokenBucket => state.TokenBucket ?? throw NoBuckets();

    /// <summary>
    /// After a reactivation: the current month, the buckets at <paramref name="limits"/>, and the reservations open at the
    /// last checkpoint held again (requests in flight then still hold what they reserved until they settle or expire).
    /// </summary>
    public void Reopen(EffectiveLimits? limits, DateTimeOffset now)
    {
        Usage.RollPeriod(now);
        EnsureBuckets(limits, now);
        foreach (var open in state.OpenReservations)
        {
            Reservations.Add(open.ToReservation());
        }
    }

    public void Create(TenantConfig config, EffectiveLimits? limits, DateTimeOffset now)
    {
        state.Config = config;
        state.CreatedAt = now;
        Usage.RollPeriod(now);
        EnsureBuckets(limits, now);
    }

    /// <summary>Replaces the configuration; <paramref name="limits"/> are those of the new one, to which the buckets are resized.</summary>
    public void Configure(TenantConfig config, EffectiveLimits? limits, DateTimeOffset now)
    {
        state.Config = config;
        EnsureBuckets(limits, now);
    }

    /// <summary>Brings the account to <paramref name="now"/>: expired reservations released, the month rolled over.</summary>
    public void Advance(DateTimeOffset now)
    {
        ReleaseExpired(now);
        Usage.RollPeriod(now);
    }

    /// <summary><see cref="Advance"/>, then the buckets at <paramref name="limits"/>: what every admission and settlement starts from.</summary>
    public void Refresh(EffectiveLimits? limits, DateTimeOffset now)
    {
        Advance(now);
        EnsureBuckets(limits, now);
    }

    /// <summary>
    /// Creates the rate buckets, or resizes them to changed limits keeping how full they are; leaves them as they are
    /// while the tenant's tier is not configured (no limits: nothing is admitted, so nothing takes from them).
    /// </summary>
    public void EnsureBuckets(EffectiveLimits? limits, DateTimeOffset now)
    {
        if (limits is null)
        {
            return;
        }

        if (state.RequestBucket is null)
        {
            state.RequestBucket = new TokenBucket(limits.RequestsPerMinute, now);
        }
        else
        {
            state.RequestBucket.Resize(limits.RequestsPerMinute, now);
        }

        if (state.TokenBucket is null)
        {
            state.TokenBucket = new TokenBucket(limits.TokensPerMinute, now);
        }
        else
        {
            state.TokenBucket.Resize(limits.TokensPerMinute, now);
        }
    }

    public void ReleaseExpired(DateTimeOffset now)
    {
        if (Reservations.RemoveExpired(now) is not { } expired)
        {
            return;
        }

        foreach (var reservation in expired)
        {
            state.TokenBucket?.Adjust(-reservation.Tokens, now);
        }

        changes.MarkDirty();
    }

    /// <summary>
    /// Holds what an admission decided: one request and the reservation's tokens taken from the buckets, the reservation
    /// open. Throws if the buckets no longer hold them: the decision was made on another state than this one.
    /// </summary>
    public void Reserve(Reservation reservation, DateTimeOffset now)
    {
        if (RequestBucket.TimeUntilAvailable(1, now) > TimeSpan.Zero || TokenBucket.TimeUntilAvailable(reservation.Tokens, now) > TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Request {reservation.RequestId} was admitted on rate limits that no longer hold its tokens.");
        }

        RequestBucket.Adjust(1, now);
        TokenBucket.Adjust(reservation.Tokens, now);
        Reservations.Add(reservation);
        changes.MarkDirty();
    }

    /// <summary>Gives a reservation back without charging anything; false when none is open under that id.</summary>
    public bool Release(string requestId, DateTimeOffset now)
    {
        ReleaseExpired(now);
        if (Reservations.Remove(requestId) is not { } reservation || state.TokenBucket is not { } bucket)
        {
            return false;
        }

        bucket.Adjust(-reservation.Tokens, now);
        changes.MarkDirty();
        return true;
    }

    /// <summary>
    /// The ledger entry that charges a settlement, changing nothing. Priced as at admission when the reservation is still
    /// open and the requested model served, so a price change mid-request changes nothing; a fallback that served is priced
    /// as the catalog prices it now. A hit of the response cache is charged the tenant's fraction of what its stored answer
    /// cost. The deployment that served names the provider: a model with several deployments has no provider of its own.
    /// </summary>
    public LedgerEntry Charge(Settlement settlement, string tenantId, ModelCatalog models, DateTimeOffset now)
    {
        var pricing = (Reservations.Find(settlement.RequestId)?.Pricing is { } reserved && string.Equals(reserved.ModelId, settlement.Model, StringComparison.OrdinalIgnoreCase) ? reserved : null)
            ?? (models.TryGet(settlement.Model, out var id, out var model) ? new Pricing(id, model) : null)
            ?? throw new InvalidOperationException($"Model '{settlement.Model}' is not in the catalog; request {settlement.RequestId} cannot be priced.");

        var cost = pricing.CostUsd(TokenUsage.Of(settlement));
        if (settlement.Outcome == Settlement.Cached)
        {
            cost *= state.Config!.Cache?.HitCostFraction ?? 0m;
        }

        return new LedgerEntry(tenantId, state.LedgerSeq + 1, settlement.RequestId, now, pricing.ModelId, settlement.Provider ?? pricing.Provider,
            settlement.InputTokens, settlement.OutputTokens, cost, settlement.Outcome,
            settlement.RequestedModel is { } requested && !string.Equals(requested, pricing.ModelId, StringComparison.OrdinalIgnoreCase) ? requested : null,
            settlement.Attempts, settlement.UsageCounted, settlement.CachedInputTokens, settlement.CacheWriteTokens,
            settlement.CacheWrite1hTokens, settlement.ReasoningTokens, settlement.QueueWaitMs);
    }

    /// <summary>Counts a settlement that <see cref="Charge"/> priced: its reservation replaced by what it used.</summary>
    public void Settle(LedgerEntry entry, DateTimeOffset now)
    {
        var reservation = Reservations.Remove(entry.RequestId);
        TokenBucket.Adjust(TokensUsed(entry) - (reservation?.Tokens ?? 0), now);
        Count(entry);
    }

    /// <summary>
    /// After <see cref="Reopen"/>: applies the ledger rows written after the saved state (<see cref="Replay"/>), then
    /// releases the reservations that expired meanwhile.
    /// </summary>
    public void Recover(IEnumerable<LedgerEntry> entries, DateTimeOffset now)
    {
        foreach (var entry in entries)
        {
            Replay(entry, now);
        }

        ReleaseExpired(now);
    }

    /// <summary>Applies a ledger row written after the saved state: its usage, and its place in the rate limits.</summary>
    public void Replay(LedgerEntry entry, DateTimeOffset now)
    {
        var used = TokensUsed(entry);
        if (Reservations.Remove(entry.RequestId) is { } reservation)
        {
            // Admitted before the checkpoint: the saved buckets hold its reservation; correct it to what was used.
            TokenBucket.Adjust(used - reservation.Tokens, now);
        }
        else if (now - entry.RecordedAt < TimeSpan.FromMinutes(1))
        {
            // Admitted after the checkpoint: the saved buckets never saw it (older rows have refilled since).
            RequestBucket.Adjust(1, now);
            TokenBucket.Adjust(used, now);
        }

        Count(entry);
    }

    /// <summary>Records the open reservations in the state, as the checkpoint about to be written saves them.</summary>
    public void SaveReservations() => state.OpenReservations = Reservations.Open.Select(OpenReservation.From).ToList();

    /// <summary>Adds a key (its hash only) unless the tenant does not exist or holds its maximum of keys.</summary>
    public AddKeyResult AddKey(string keyId, string keyHash, DateTimeOffset now)
    {
        if (!state.Exists)
        {
            return new AddKeyResult(AddKeyOutcome.UnknownTenant);
        }

        if (state.Keys.Count >= options.MaxKeys)
        {
            return new AddKeyResult(AddKeyOutcome.TooManyKeys, MaxKeys: options.MaxKeys);
        }

        var entry = new ApiKeyEntry { Id = keyId, Hash = keyHash, CreatedAt = now };
        state.Keys.Add(entry);
        return new AddKeyResult(AddKeyOutcome.Added, TenantReports.KeyInfo(entry));
    }

    /// <summary>
    /// Marks a key revoked at <paramref name="now"/> unless it is already (<paramref name="revokedNow"/> says which);
    /// null when the tenant holds no key of that id.
    /// </summary>
    public ApiKeyEntry? RevokeKey(string keyId, DateTimeOffset now, out bool revokedNow)
    {
        var entry = state.Keys.Find(k => k.Id == keyId);
        revokedNow = entry is { RevokedAt: null };
        if (revokedNow)
        {
            entry!.RevokedAt = now;
        }

        return entry;
    }

    /// <summary>Tokens a settled request took from the provider (and from the tenant's limits): none for a cache hit.</summary>
    private static long TokensUsed(LedgerEntry entry) =>
        entry.Outcome == Settlement.Cached ? 0 : entry.InputTokens + entry.OutputTokens;

    private void Count(LedgerEntry entry)
    {
        Usage.Record(entry);
        Reservations.MarkSettled(entry.RequestId);
        state.LedgerSeq = entry.Seq;
        changes.MarkDirty();
    }

    private InvalidOperationException NoBuckets() => new($"The tenant has no rate buckets yet (it exists: {state.Exists}); they are made when it is created or activated.");
}
