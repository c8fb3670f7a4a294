namespace Gateway.Grains.Routing.Scheduling;

// The queue's record of one tenant (a flow of start-time fair queuing), and when it is forgotten.
internal sealed partial class FairQueue
{
    /// <summary>A tenant with nothing waiting: forgotten when it neither runs nor owes, else kept until it does not.</summary>
    private void Settle(Flow flow)
    {
        if (flow.InFlight > 0 || flow.Requeued > 0)
        {
            return;
        }

        if (Count == 0 && InFlight == 0)
        {
            // Idle: nobody is ahead of anybody any more, and the counters start again from zero.
            _owing.Clear();
            _flows.Clear();
            _virtualTime = 0;
            _joins = 0;
        }
        else if (flow.Counter > _virtualTime)
        {
            _owing.Add(flow);
        }
        else
        {
            _flows.Remove(flow.Tenant);
        }
    }

    /// <summary>One tenant as the queue knows it: its counter, its waiting requests (oldest first), how many run.</summary>
    internal sealed class Flow(string tenant)
    {
        public string Tenant { get; } = tenant;

        public int Weight { get; set; } = 1;

        public long Counter { get; set; }

        /// <summary>
        /// When the tenant last began to wait: breaks ties between equal counters, the latest first. A tenant that keeps a
        /// backlog began to wait long ago; one within its share begins anew with each burst, and at equal counters its
        /// request goes ahead (the backlogged tenant loses one place, not its share).
        /// </summary>
        public long Joined { get; set; }

        public int Queued { get; set; }

        public int InFlight { get; set; }

        /// <summary>Requests of the tenant put back after a failed attempt, waiting (not in the tenant's list).</summary>
        public int Requeued { get; set; }

        public FairQueueEntry? Head { get; set; }

        public FairQueueEntry? Tail { get; set; }

        /// <summary>The tenant's place in the one heap it is in (waiting, or owing), or -1.</summary>
        public int HeapIndex { get; set; } = -1;
    }
}
