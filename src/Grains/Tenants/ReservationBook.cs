namespace Gateway.Grains.Tenants;

/// <summary>
/// A tenant's open reservations with their running totals, and the request ids settled lately (so that a
/// repeated settlement is a no-op). The open reservations are saved with each state checkpoint (see
/// <see cref="TenantState.OpenReservations"/>); the settled ids are rebuilt from the ledger on reactivation.
/// </summary>
internal sealed class ReservationBook(int settlementMemory)
{
    private readonly Dictionary<string, Reservation> _open = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _byExpiry = new();
    private readonly HashSet<string> _settled = new(StringComparer.Ordinal);
    private readonly Queue<string> _settledOrder = new();

    public int Count => _open.Count;

    public long Tokens { get; private set; }

    public decimal CostUsd { get; private set; }

    public bool Contains(string requestId) => _open.ContainsKey(requestId);

    public IEnumerable<Reservation> Open => _open.Values;

    public Reservation? Find(string requestId) => _open.GetValueOrDefault(requestId);

    public bool WasSettled(string requestId) => _settled.Contains(requestId);

    public void Add(Reservation reservation)
    {
        _open.Add(reservation.RequestId, reservation);
        _byExpiry.Enqueue(reservation.RequestId, reservation.ExpiresAt);
        Tokens += reservation.Tokens;
        CostUsd += reservation.CostUsd;
    }

    public Reservation? Remove(string requestId)
    {
        if (!_open.Remove(requestId, out var reservation))
        {
            return null;
        }

        Tokens -= reservation.Tokens;
        CostUsd -= reservation.CostUsd;
        return reservation;
    }

    public void MarkSettled(string requestId)
    {
        if (!_settled.Add(requestId))
        {
            return;
        }

        _settledOrder.Enqueue(requestId);
        while (_settledOrder.Count > settlementMemory)
        {
            _settled.Remove(_settledOrder.Dequeue());
        }
    }

    /// <summary>Removes and returns the reservations whose time is up.</summary>
    public List<Reservation>? RemoveExpired(DateTimeOffset now)
    {
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
