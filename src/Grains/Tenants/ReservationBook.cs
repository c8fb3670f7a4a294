namespace Gateway.Grains.Tenants;

/// <summary>
/// A tenant's open reservations with their running totals, and the request ids settled lately (so that a
/// repeated settlement is a no-op). The open reservations are saved with each state checkpoint (see
/// <see cref="TenantState.OpenReservations"/>); the settled ids are rebuilt from the ledger on reactivation.
/// </summary>
internal sealed class ReservationBook(int settlementMemory)
{
    // Created on first use: most tenants are idle most of the time, and each of these costs an object and an array.
    private Dictionary<string, Reservation>? _open;
    private PriorityQueue<string, DateTimeOffset>? _byExpiry;
    private HashSet<string>? _settled;
    private Queue<string>? _settledOrder;

    public int Count => _open?.Count ?? 0;

    public long Tokens { get; private set; }

    public decimal CostUsd { get; private set; }

    public bool Contains(string requestId) => _open?.ContainsKey(requestId) == true;

    public IEnumerable<Reservation> Open => _open?.Values ?? Enumerable.Empty<Reservation>();

    public Reservation? Find(string requestId) => _open?.GetValueOrDefault(requestId);

    public bool WasSettled(string requestId) => _settled?.Contains(requestId) == true;

    public void Add(Reservation reservation)
    {
        (_open ??= new(StringComparer.Ordinal)).Add(reservation.RequestId, reservation);
        (_byExpiry ??= new()).Enqueue(reservation.RequestId, reservation.ExpiresAt);
        Tokens += reservation.Tokens;
        CostUsd += reservation.CostUsd;
    }

    public Reservation? Remove(string requestId)
    {
        if (_open is null || !_open.Remove(requestId, out var reservation))
        {
            return null;
        }

        Tokens -= reservation.Tokens;
        CostUsd -= reservation.CostUsd;
        return reservation;
    }

    public void MarkSettled(string requestId)
    {
        if (!(_settled ??= new(StringComparer.Ordinal)).Add(requestId))
        {
            return;
        }

        (_settledOrder ??= new()).Enqueue(requestId);
        while (_settledOrder.Count > settlementMemory)
        {
            _settled.Remove(_settledOrder.Dequeue());
        }
    }

    /// <summary>Lets go of the open-reservation collections while none is open (an idle tenant's memory).</summary>
    public void Trim()
    {
        if (_open is { Count: 0 })
        {
            _open = null;
            _byExpiry = null;
        }
    }

    /// <summary>Removes and returns the reservations whose time is up.</summary>
    public List<Reservation>? RemoveExpired(DateTimeOffset now)
    {
        if (_open is null || _byExpiry is null)
        {
            return null;
        }

        List<Reservation>? expired = null;
        while (_byExpiry.TryPeek(out var requestId, out var expiresAt) && expiresAt <= now)
        {
            _byExpiry.Dequeue();
            if (_open.TryGetValue(requestId, out var reservation) && reservation.ExpiresAt == expiresAt)
            {
                Remove(requestId);
                (expired ??= []).Add(reservation);
            }
        }

        // Settled reservations leave stale queue entries behind; drop them once they dominate the queue.
        if (_byExpiry.Count > 64 && _byExpiry.Count > 4 * _open.Count)
        {
            _byExpiry.Clear();
            foreach (var reservation in _open.Values)
            {
                _byExpiry.Enqueue(reservation.RequestId, reservation.ExpiresAt);
            }
        }

        return expired;
    }
}
