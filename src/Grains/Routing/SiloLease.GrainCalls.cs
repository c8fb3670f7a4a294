using Gateway.Grains.Abstractions.Routing;

namespace Gateway.Grains.Routing;

// The lease's side of the calls to the deployment's grain: the report each call makes, the answer taken in, and the
// spare given back before a call reports it.
internal sealed partial class SiloLease
{
    /// <summary>
    /// The next call to the grain: the lease as it is now (registering a new lease when none is), asking for
    /// <paramref name="need"/>, with the silo's queue head and virtual time.
    /// </summary>
    public LeaseRequest NextCall(CapacityAmount need, CapacityAmount want, long? queueHead = null, long virtualTime = 0)
    {
        if (_leaseId is null)
        {
            // Usage is counted per lease, from zero. What the old lease used is reported already (a pool drops its lease
            // only when everything is), or was counted by the grain when it expired the lease.
            _leaseId = $"{silo}/{Guid.NewGuid():N}";
            _sequence = 0;
            _requestsUsed = _reportedRequestsUsed = 0;
            _tokensUsed = _reportedTokensUsed = 0;
        }

        return new LeaseRequest(
            _leaseId,
            silo,
            ++_sequence,
            Limits,
            new CapacityAmount(_spareSlots + _slotsInUse, _spareRequests, _spareTokens + _reservedTokens),
            _inFlight,
            _requestsUsed,
            _tokensUsed,
            need,
            want,
            queueHead,
            virtualTime);
    }

    /// <summary>
    /// Takes in the grain's answer to <paramref name="request"/>, sent at <paramref name="sentAt"/> (null: no answer).
    /// True when another call is due at once: spare to give back, or running requests to claim under a new lease.
    /// </summary>
    public bool Apply(LeaseRequest request, LeaseResponse? response, long sentAt, long now)
    {
        switch (response?.Outcome)
        {
            case LeaseOutcome.Granted or LeaseOutcome.Refused:
                // The grain heard from the lease at or after sentAt, so it expires the lease no earlier than a
                // time-to-live after that; using spare for half of it leaves room for clocks and a failed renewal.
                _validUntil = After(sentAt, options.LeaseTimeToLive / 2);
                _reportedRequestsUsed = request.RequestsUsed;
                _reportedTokensUsed = request.TokensUsed;
                _spareSlots += response.Granted.Slots;
                _spareRequests += response.Granted.Requests;
                _spareTokens += response.Granted.Tokens;
                if (response.Outcome == LeaseOutcome.Refused)
                {
                    Remember(response.Refusal, response.RetryAfter, now);
                }
                else if (!response.Granted.IsNone)
                {
                    _refusedUntil = _retryAt = 0;
                }

                if (response.GiveBack)
                {
                    _giveBack = true;
                    return true;
                }

                return false;

            case LeaseOutcome.Expired:
                // The grain no longer counts this lease: its spare may be someone else's now. What is running is
                // real, and is claimed by a new lease at once.
                _spareSlots = 0;
                _spareRequests = 0;
                _spareTokens = Math.Min(_spareTokens, 0);
                _validUntil = 0;
                _leaseId = null;
                return true;

            default:
                // No answer (or a stale one): refuse locally for a short while rather than hammer a grain that
                // may be moving to another silo; the lease and its usage are restated by the next call.
                Remember(CapacityRefusal.Unavailable, options.BusyRetryAfter, now);
                return false;
        }
    }

    /// <summary>Gives the spare back when the grain asked for it (before the call that reports it).</summary>
    public void GiveBackIfAsked()
    {
        if (_giveBack)
        {
            ReturnSpare();
        }
    }

    /// <summary>
    /// Before a renewal: gives the spare back when the grain asked or it has been idle for
    /// <see cref="DeploymentCapacityOptions.IdleReturn"/>, and spare of a kind the limits stopped covering in any case.
    /// </summary>
    public void PrepareRenewal(long now)
    {
        if (_giveBack || time.GetElapsedTime(_lastUse, now) >= options.IdleReturn)
        {
            ReturnSpare();
        }

        // Spare of a kind the limits stopped covering (a configuration change) is of no use here and goes back now.
        _spareSlots = Limits.MaxConcurrent is null ? 0 : _spareSlots;
        _spareRequests = Limits.RequestsPerMinute is null ? 0 : _spareRequests;
        _spareTokens = Limits.TokensPerMinute is null ? Math.Min(_spareTokens, 0) : _spareTokens;
    }

    /// <summary>
    /// Gives the spare back now (the queue's head is past another silo's, which the spare is due to); true when there was
    /// any, so that a call must report it.
    /// </summary>
    public bool GiveBackSpare()
    {
        var any = _spareSlots > 0 || _spareRequests > 0 || _spareTokens > 0;
        ReturnSpare();
        return any;
    }

    /// <summary>
    /// Forgets a lease that holds nothing: the grain's record of it expires harmlessly, and the next need registers a new
    /// lease rather than being told this one expired.
    /// </summary>
    public void Forget() => _leaseId = null;

    /// <summary>
    /// Removes the spare; the call that follows reports the smaller holding, and only then does the grain count it free.
    /// A token debt stays until paid.
    /// </summary>
    private void ReturnSpare()
    {
        _giveBack = false;
        _spareSlots = 0;
        _spareRequests = 0;
        _spareTokens = Math.Min(_spareTokens, 0);
    }
}
