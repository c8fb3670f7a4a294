using Gateway.Grains.Abstractions.Routing;

namespace Gateway.Grains.Routing;

/// <summary>
/// This silo's lease on one deployment's capacity, as its <see cref="CapacityPool"/> keeps it: the spare and what is in
/// use of each kind, the usage still to report, until when the spare may be drawn on, and a refusal remembered. Pure
/// bookkeeping: timestamps of the gateway clock are passed in (the clock only converts them), nothing is awaited, and
/// nothing is locked: the pool's lock guards every call.
/// </summary>
/// <remarks>
/// <para>A request takes one slot, one request permit and its worst-case tokens (each only when limited) from the spare.
/// When done it gives back its slot and the tokens it reserved beyond what it used; those stay as spare.
/// The permit is used at the start (a cancelled attempt, which sent nothing, gets it back).</para>
/// <para>Spare is drawn on only until half a lease time-to-live after the sending of the last call the grain answered, so
/// that it is never used once the grain may have expired the lease. Spare given back is removed here before the call that
/// reports it is sent: the grain never counts as free what a request could still take.</para>
/// <para>In two files: this one draws on and gives back the spare; <c>SiloLease.GrainCalls.cs</c> makes the reports to
/// the grain and takes in its answers.</para>
/// </remarks>
internal sealed partial class SiloLease(string silo, DeploymentCapacityOptions options, TimeProvider time)
{
    private string? _leaseId;
    private long _sequence;

    private int _inFlight;
    private int _slotsInUse;
    private int _spareSlots;
    private long _spareRequests;
    private long _spareTokens;
    private long _reservedTokens;
    private long _requestsUsed;
    private long _tokensUsed;
    private long _reportedRequestsUsed;
    private long _reportedTokensUsed;

    private long _lastUse;
    private long _validUntil;
    private long _refusedUntil;
    private long _retryAt;
    private CapacityRefusal _refusal;
    private bool _giveBack;

    /// <summary>The limits in force, as the last request saw them; reported to the grain with every call.</summary>
    public DeploymentLimits Limits { get; set; } = DeploymentLimits.Unlimited;

    /// <summary>Whether the grain knows a lease of this silo (so a change has something to report).</summary>
    public bool IsRegistered => _leaseId is not null;

    /// <summary>The lease's id while registered.</summary>
    public string? Id => _leaseId;

    /// <summary>
    /// Whether the lease holds anything the grain must hear about: spare, capacity in use, or usage not yet reported.
    /// </summary>
    public bool HoldsAnything =>
        _spareSlots != 0 || _slotsInUse != 0 || _spareRequests != 0 || _spareTokens != 0 || _reservedTokens != 0
        || _requestsUsed != _reportedRequestsUsed || _tokensUsed != _reportedTokensUsed;

    /// <summary>The concurrency slots the lease holds: in use and spare.</summary>
    public int Slots => _slotsInUse + _spareSlots;

    /// <summary>Whether a slot is spare (or slots are not limited), so that a request needing no more than a slot fits.</summary>
    public bool HasSpareSlot => Limits.MaxConcurrent is null || _spareSlots > 0;

    /// <summary>Takes what one request costing <paramref name="tokens"/> needs from the spare; false when it does not fit.</summary>
    public bool TryTake(long tokens, long now, out CapacityHolds holds, out long reservedTokens)
    {
        var limits = Limits;
        holds = (limits.MaxConcurrent is null ? CapacityHolds.None : CapacityHolds.Slot)
            | (limits.RequestsPerMinute is null ? CapacityHolds.None : CapacityHolds.Request)
            | (limits.TokensPerMinute is null ? CapacityHolds.None : CapacityHolds.Tokens);
        if (holds != CapacityHolds.None
            && (now >= _validUntil
                || (holds & CapacityHolds.Slot) != 0 && _spareSlots < 1
                || (holds & CapacityHolds.Request) != 0 && _spareRequests < 1
                || (holds & CapacityHolds.Tokens) != 0 && _spareTokens < tokens))
        {
            reservedTokens = 0;
            return false;
        }

        if ((holds & CapacityHolds.Slot) != 0)
        {
            _spareSlots--;
            _slotsInUse++;
        }

        if ((holds & CapacityHolds.Request) != 0)
        {
            _spareRequests--;
            _requestsUsed++;
        }

        reservedTokens = (holds & CapacityHolds.Tokens) != 0 ? tokens : 0;
        _spareTokens -= reservedTokens;
        _reservedTokens += reservedTokens;
        _inFlight++;
        _lastUse = now;
        return true;
    }

    /// <summary>Gives back what a finished (or cancelled) request held: its slot, and its tokens beyond <paramref name="actualTokens"/>.</summary>
    public void Release(CapacityHolds holds, long reservedTokens, long actualTokens, bool cancelled, long now)
    {
        _inFlight--;
        if ((holds & CapacityHolds.Slot) != 0)
        {
            _slotsInUse--;
            _spareSlots++;
        }

        if ((holds & CapacityHolds.Request) != 0 && cancelled)
        {
            _requestsUsed--;
            _spareRequests++;
        }

        if ((holds & CapacityHolds.Tokens) != 0)
        {
            // Used beyond the reservation (an estimate that fell short) leaves the spare below zero: a debt the next
            // grant pays first, and the grain's bucket absorbs when the usage is reported.
            _reservedTokens -= reservedTokens;
            _spareTokens += reservedTokens - actualTokens;
            _tokensUsed += actualTokens;
        }

        _lastUse = now;
    }

    /// <summary>Whether <paramref name="tokens"/> exceed the whole per-minute limit, so that waiting never helps.</summary>
    public bool IsTooLarge(long tokens) => Limits.TokensPerMinute is { } perMinute && tokens > perMinute;

    /// <summary>The refusal remembered, while it stands: its kind and the time left until its retry-after.</summary>
    public bool IsRefused(long now, out CapacityRefusal refusal, out TimeSpan retryAfter)
    {
        if (now < _refusedUntil)
        {
            refusal = _refusal;
            retryAfter = Remaining(now, _retryAt);
            return true;
        }

        refusal = CapacityRefusal.None;
        retryAfter = TimeSpan.Zero;
        return false;
    }

    /// <summary>Until when (a timestamp) a refusal is remembered, so that the grain is not asked again before.</summary>
    public long RefusedUntil => _refusedUntil;

    /// <summary>What a request costing <paramref name="tokens"/> lacks of each limited kind.</summary>
    public CapacityAmount Need(long tokens) => new(
        Limits.MaxConcurrent is not null && _spareSlots < 1 ? 1 : 0,
        Limits.RequestsPerMinute is not null && _spareRequests < 1 ? 1 : 0,
        Limits.TokensPerMinute is not null && _spareTokens < tokens ? tokens - _spareTokens : 0);

    /// <summary>What all <paramref name="waiting"/> requests (costing <paramref name="waitingTokens"/> in all) lack, of the kinds the first lacks.</summary>
    public CapacityAmount Want(long tokens, int waiting, long waitingTokens)
    {
        var need = Need(tokens);
        return new CapacityAmount(
            need.Slots > 0 ? Math.Max(need.Slots, waiting - _spareSlots) : 0,
            need.Requests > 0 ? Math.Max(need.Requests, waiting - _spareRequests) : 0,
            need.Tokens > 0 ? Math.Max(need.Tokens, waitingTokens - _spareTokens) : 0);
    }

    public DeploymentLoad Load(long now)
    {
        var full = now < _retryAt
            && (Limits.MaxConcurrent is not null && _spareSlots < 1 || Limits.RequestsPerMinute is not null && _spareRequests < 1);
        return new DeploymentLoad(_inFlight, _spareSlots, full);
    }

    /// <summary>Forgets a remembered refusal: the grain said capacity is due, so asking again now helps.</summary>
    public void ForgetRefusal() => _refusedUntil = 0;

    private void Remember(CapacityRefusal refusal, TimeSpan retryAfter, long now)
    {
        _refusal = refusal;
        _retryAt = After(now, retryAfter);
        _refusedUntil = After(now, retryAfter < options.BusyRetryAfter ? retryAfter : options.BusyRetryAfter);
    }

    private long After(long timestamp, TimeSpan span) =>
        timestamp + (long)((Int128)span.Ticks * time.TimestampFrequency / TimeSpan.TicksPerSecond);

    private TimeSpan Remaining(long now, long until)
    {
        var remaining = time.GetElapsedTime(now, until);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.FromTicks(1);
    }
}
