using Gateway.Grains.Abstractions.Routing;

namespace Gateway.Grains.Routing;

/// <summary>
/// The leases silos hold on one deployment, as <see cref="CapacityLedger"/> knows them: each lease's last report, and
/// what all of them hold of each kind, kept equal to the sum of their holdings by <see cref="SetHeld"/>, the only way a
/// holding changes. Not thread-safe: the grain's turns use it one at a time.
/// </summary>
internal sealed class CapacityLeases
{
    private readonly Dictionary<string, Lease> _leases = new(StringComparer.Ordinal);

    public int Count => _leases.Count;

    /// <summary>Slots held by all leases: spare and in use.</summary>
    public long SlotsLeased { get; private set; }

    /// <summary>Request permits held by all leases and not reported used.</summary>
    public long RequestsLeased { get; private set; }

    /// <summary>Tokens held by all leases and not reported used.</summary>
    public long TokensLeased { get; private set; }

    public IEnumerable<Lease> All => _leases.Values;

    public bool TryGet(string id, out Lease lease) => _leases.TryGetValue(id, out lease!);

    public Lease Add(string id, string silo)
    {
        var lease = new Lease(id, silo);
        _leases.Add(id, lease);
        return lease;
    }

    /// <summary>The leases not heard from since <paramref name="now"/> − <paramref name="timeToLive"/>; null when none.</summary>
    public List<Lease>? Silent(DateTimeOffset now, TimeSpan timeToLive)
    {
        List<Lease>? silent = null;
        foreach (var lease in _leases.Values)
        {
            if (now - lease.LastSeen > timeToLive)
            {
                (silent ??= []).Add(lease);
            }
        }

        return silent;
    }

    /// <summary>Drops a lease and what it holds from the totals.</summary>
    public void Remove(Lease lease)
    {
        SetHeld(lease, CapacityAmount.None);
        _leases.Remove(lease.Id);
    }

    public void SetHeld(Lease lease, CapacityAmount held)
    {
        SlotsLeased += held.Slots - lease.Held.Slots;
        RequestsLeased += held.Requests - lease.Held.Requests;
        TokensLeased += held.Tokens - lease.Held.Tokens;
        lease.Held = held;
    }

    /// <summary>Asks every lease but <paramref name="asking"/> that holds spare of the kind to give it back at its next call.</summary>
    public void MarkGiveBack(Lease asking, Func<Lease, bool> holdsSpare)
    {
        foreach (var other in _leases.Values)
        {
            if (other != asking && holdsSpare(other))
            {
                other.GiveBack = true;
            }
        }
    }

    /// <summary>Asks every lease to give its spare back at its next call (a limit was lowered).</summary>
    public void MarkAllGiveBack()
    {
        foreach (var lease in _leases.Values)
        {
            lease.GiveBack = true;
        }
    }

    /// <summary>One silo's lease: its last report (applied in sequence order) and whether it is to give its spare back.</summary>
    public sealed class Lease(string id, string silo)
    {
        public string Id { get; } = id;

        public string Silo { get; } = silo;

        public long Sequence { get; set; }

        public DateTimeOffset LastSeen { get; set; }

        public int InFlight { get; set; }

        /// <summary>What the lease holds; changed only through <see cref="CapacityLeases.SetHeld"/>, which keeps the totals.</summary>
        public CapacityAmount Held { get; set; } = CapacityAmount.None;

        public long RequestsUsed { get; set; }

        public long TokensUsed { get; set; }

        public bool GiveBack { get; set; }

        /// <summary>The start tag of the head of the silo's fair queue at its last call; null when nothing waited.</summary>
        public long? QueueHead { get; set; }

        /// <summary>
        /// What the head of the silo's queue lacked at its last call, claimed ahead of later heads until the next call
        /// restates it (kept after a grant: the queue's next head is likely short too, and a later head must not take
        /// what is freed before this silo has said).
        /// </summary>
        public CapacityAmount QueueNeed { get; set; } = CapacityAmount.None;

        /// <summary>The bar (earliest other head) in the last answer; null when none was given.</summary>
        public long? BarSent { get; set; }

        /// <summary>Whether the lease was to give back, clearing it.</summary>
        public bool TakeGiveBack()
        {
            var giveBack = GiveBack;
            GiveBack = false;
            return giveBack;
        }
    }
}
