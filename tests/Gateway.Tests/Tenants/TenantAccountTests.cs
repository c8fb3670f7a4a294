using Gateway.Grains.Abstractions.Ledger;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Tenants;
using static Gateway.Tests.Tenants.TenantParts;

namespace Gateway.Tests.Tenants;

/// <summary>
/// The changes a tenant's state goes through (<see cref="TenantAccount"/>), without a cluster: holding and giving back
/// reservations, expiry, pricing and counting settlements, replaying the ledger after a reactivation, and keys.
/// </summary>
public sealed class TenantAccountTests
{
    private static readonly Pricing Delta = new("delta", "provider-d", 0.5m, 0.5m);

    private readonly TenantParts _parts = new();

    [Fact]
    public void AReservationTakesOneRequestAndItsTokensAndIsHeldUntilReleased()
    {
        var account = _parts.Account();

        account.Reserve(Held("r1", 2_000), T0);

        Assert.Equal(999, account.RequestBucket.Available(T0));
        Assert.Equal(998_000, account.TokenBucket.Available(T0));
        Assert.Equal((1, 2_000L, 0.001m), (account.Reservations.Count, account.Reservations.Tokens, account.Reservations.CostUsd));
        Assert.Equal(1, _parts.Changes);

        Assert.True(account.Release("r1", T0));
        Assert.False(account.Release("r1", T0), "A second release finds nothing to release.");

        Assert.Equal(0, account.Reservations.Count);
        Assert.Equal(1_000_000, account.TokenBucket.Available(T0));
        Assert.Equal(999, account.RequestBucket.Available(T0)); // the request was made; only its tokens come back
        Assert.Equal(2, _parts.Changes);
    }

    [Fact]
    public void AReservationDecidedOnAnotherStateIsRefusedAndChangesNothing()
    {
        var account = _parts.Account(limits: Wide with { TokensPerMinute = 3_000 });
        account.Reserve(Held("r1", 2_000), T0);

        Assert.Throws<InvalidOperationException>(() => account.Reserve(Held("r2", 2_000), T0));

        Assert.Equal(1, account.Reservations.Count);
        Assert.Equal(999, account.RequestBucket.Available(T0));
        Assert.Equal(1_000, account.TokenBucket.Available(T0));
    }

    [Fact]
    public void AReservationExpiresAtItsTimeAndNotATickBefore()
    {
        var account = _parts.Account();
        account.Reserve(Held("r1", 2_000), T0);
        var expiry = T0 + Options.ReservationTimeout;

        account.Advance(expiry - TimeSpan.FromTicks(1));
        Assert.Equal(1, account.Reservations.Count);

        account.Advance(expiry);
        Assert.Equal(0, account.Reservations.Count);
        Assert.Equal(0m, account.Reservations.CostUsd);
        Assert.Equal(2, _parts.Changes);
    }

    [Fact]
    public void ASettlementOfTheRequestedModelIsPricedAsAtAdmission()
    {
        var account = _parts.Account();
        account.Reserve(new Reservation("r1", new Pricing("alpha", "provider-a", 2m, 8m), 5_000, 0.01m, T0 + Options.ReservationTimeout), T0);
        var repriced = TestCatalog(alphaInput: 100m, alphaOutput: 100m);

        var entry = account.Charge(new Settlement("r1", "alpha", 1_000, 500), "t1", repriced, T0);

        Assert.Equal(new LedgerEntry("t1", 1, "r1", T0, "alpha", "provider-a", 1_000, 500, 0.006m, Settlement.Completed), entry);
        Assert.Equal(1, account.Reservations.Count); // pricing changes nothing
    }

    [Fact]
    public void AFallbackThatServedIsPricedByTheCatalogAndRecordsWhatWasAskedFor()
    {
        var account = _parts.Account();
        account.Reserve(new Reservation("r1", new Pricing("alpha", "provider-a", 2m, 8m), 5_000, 0.01m, T0 + Options.ReservationTimeout), T0);

        var entry = account.Charge(new Settlement("r1", "beta", 1_000, 500, RequestedModel: "alpha", Attempts: 3, UsageCounted: true, Provider: "beta-eu"), "t1", TestCatalog(), T0);

        Assert.Equal(new LedgerEntry("t1", 1, "r1", T0, "beta", "beta-eu", 1_000, 500, 0.0015m, Settlement.Completed, "alpha", 3, true), entry);
    }

    [Fact]
    public void ACacheHitIsChargedTheTenantsFractionAndTakesNoTokens()
    {
        var account = _parts.Account(Unlimited with { Cache = new TenantCacheSettings(true, HitCostFraction: 0.25m) });
        account.Reserve(Held("r1", 2_000), T0);

        var entry = account.Charge(new Settlement("r1", "delta", 1_000, 1_000, Settlement.Cached), "t1", TestCatalog(), T0);
        account.Settle(entry, T0);

        Assert.Equal(0.00025m, entry.CostUsd);
        Assert.Equal(1_000_000, account.TokenBucket.Available(T0));
        Assert.Equal((1L, 1L, 0L, 2_000L), (account.Month.Requests, account.Month.CacheHits, account.Month.TotalTokens, account.Month.CacheSavedTokens));
    }

    [Fact]
    public void ASettlementOfAModelOutsideTheCatalogCannotBePriced()
    {
        var account = _parts.Account();

        var refused = Assert.Throws<InvalidOperationException>(() => account.Charge(new Settlement("r1", "retired", 1, 1), "t1", TestCatalog(), T0));

        Assert.Contains("'retired'", refused.Message);
    }

    [Fact]
    public void SettlingReplacesTheReservationByWhatWasUsedAndCountsItOnce()
    {
        var account = _parts.Account();
        account.Reserve(Held("r1", 2_000), T0);
        var entry = account.Charge(new Settlement("r1", "delta", 1_000, 3_000), "t1", TestCatalog(), T0);

        account.Settle(entry, T0);

        Assert.Equal(0, account.Reservations.Count);
        Assert.True(account.Reservations.WasSettled("r1"), "A settled request must be remembered, so a repeat is a no-op.");
        Assert.Equal(996_000, account.TokenBucket.Available(T0));
        Assert.Equal((1L, 1_000L, 3_000L, 0.002m), (account.Month.Requests, account.Month.InputTokens, account.Month.OutputTokens, account.Month.CostUsd));
        Assert.Equal(1, account.State.LedgerSeq);
        Assert.Equal(2, account.Charge(new Settlement("r2", "delta", 1, 1), "t1", TestCatalog(), T0).Seq);
    }

    [Fact]
    public void AReactivationHoldsTheSavedReservationsAndReplaysTheLedgerAfterTheCheckpoint()
    {
        var state = new TenantState();
        var before = _parts.Account(limits: Wide with { RequestsPerMinute = 10, TokensPerMinute = 10_000 }, state: state);
        before.Reserve(Held("open", 2_000), T0);
        before.Reserve(Held("settled-later", 2_000), T0);
        before.SaveReservations(); // the checkpoint: 8 requests and 6,000 tokens left

        var now = T0 + TimeSpan.FromSeconds(6);
        var after = _parts.Reactivated(state);
        after.Reopen(Wide with { RequestsPerMinute = 10, TokensPerMinute = 10_000 }, now);
        after.Recover(
        [
            Entry(1, "settled-later", T0 + TimeSpan.FromSeconds(1), 500, 500),     // reserved before the checkpoint: 2,000 become 1,000
            Entry(2, "admitted-after", T0 + TimeSpan.FromSeconds(2), 1_000, 500),   // unseen by the saved buckets: taken now
            Entry(3, "long-ago", now - TimeSpan.FromMinutes(1), 1_000, 1_000),       // refilled since: counted, not taken
        ], now);

        Assert.Equal(["open"], after.Reservations.Open.Select(r => r.RequestId));
        Assert.Equal(3, after.State.LedgerSeq);
        Assert.Equal((3L, 4_500L), (after.Month.Requests, after.Month.TotalTokens));
        Assert.True(after.Reservations.WasSettled("long-ago"), "Replayed rows count as settled.");
        // 6 s refilled 1 request and 1,000 tokens onto the checkpoint's 8 and 6,000; the settled reservation gave back 1,000
        // of its 2,000, the row the checkpoint never saw took 1 request and 1,500 tokens.
        Assert.Equal(8, after.RequestBucket.Available(now));
        Assert.Equal(6_500, after.TokenBucket.Available(now));
    }

    [Fact]
    public void KeysAreAddedUpToTheMaximumAndRevokedOnce()
    {
        var account = _parts.Account();
        for (var i = 0; i < Options.MaxKeys; i++)
        {
            Assert.Equal(AddKeyOutcome.Added, account.AddKey($"key-{i}", $"hash-{i}", T0).Outcome);
        }

        Assert.Equal(new AddKeyResult(AddKeyOutcome.TooManyKeys, MaxKeys: Options.MaxKeys), account.AddKey("one-more", "hash", T0));
        Assert.Equal(new AddKeyResult(AddKeyOutcome.UnknownTenant), _parts.Reactivated(new TenantState()).AddKey("key", "hash", T0));

        var revoked = account.RevokeKey("key-1", T0 + TimeSpan.FromMinutes(1), out var revokedNow);
        Assert.True(revokedNow, "The first revocation revokes.");
        Assert.Equal(T0 + TimeSpan.FromMinutes(1), revoked?.RevokedAt);
        Assert.Same(revoked, account.RevokeKey("key-1", T0 + TimeSpan.FromMinutes(2), out revokedNow));
        Assert.False(revokedNow, "A revoked key stays revoked at its first time.");
        Assert.Equal(T0 + TimeSpan.FromMinutes(1), revoked?.RevokedAt);
        Assert.Null(account.RevokeKey("no-such-key", T0, out revokedNow));
        Assert.False(revokedNow);
    }

    private static Reservation Held(string requestId, long tokens) =>
        new(requestId, Delta, tokens, Delta.CostUsd(tokens / 2, tokens / 2), T0 + Options.ReservationTimeout);

    private static LedgerEntry Entry(long seq, string requestId, DateTimeOffset at, long input, long output) =>
        new("t1", seq, requestId, at, "delta", "provider-d", input, output, Delta.CostUsd(input, output), Settlement.Completed);
}
