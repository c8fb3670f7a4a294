using Gateway.Grains.Routing.Scheduling;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>
/// One deployment's weighted fair queue on its own: the order requests leave in, what tenants are charged, the bounds and
/// the deadlines. Time is a fake clock's timestamps and dispatching is driven by the test, so every expectation is exact.
/// </summary>
public sealed class FairQueueTests
{
    private readonly FakeTimeProvider _clock = new(ClusterFixture.Start);
    private readonly FairQueue _queue;

    // Backlogs of a thousand requests a tenant: the policy's tests, not the bounds' (those build their own queue).
    public FairQueueTests() => _queue = new FairQueue(new FairQueueOptions { MaxQueuedPerTenant = 10_000, MaxQueuedPerDeployment = 100_000 }, _clock);

    private long Now => _clock.GetTimestamp();

    [Fact]
    public void TokenSharesFollowTheWeightsWhileEveryTierWaits()
    {
        var served = ServeBacklogged(_queue, dispatches: 3_000, ("platinum", 8, 1_000), ("gold", 4, 1_000), ("silver", 2, 1_000), ("bronze", 1, 1_000));

        var total = served.Values.Sum(s => s.Tokens);
        Assert.Equal(8 / 15.0, served["platinum"].Tokens / (double)total, 0.01);
        Assert.Equal(4 / 15.0, served["gold"].Tokens / (double)total, 0.01);
        Assert.Equal(2 / 15.0, served["silver"].Tokens / (double)total, 0.01);
        Assert.Equal(1 / 15.0, served["bronze"].Tokens / (double)total, 0.01);
    }

    [Fact]
    public void ATenantSendingHugeRequestsGetsItsShareOfTokensNotOfRequests()
    {
        var served = ServeBacklogged(_queue, dispatches: 1_700, ("huge", 1, 16_000), ("small", 1, 1_000));

        // Equal weights: equal tokens, within one request of each (the start-time fair queuing bound).
        Assert.InRange(served["huge"].Tokens - served["small"].Tokens, -17_000, 17_000);
        Assert.InRange(served["small"].Requests, 15 * served["huge"].Requests, 17 * served["huge"].Requests);
    }

    [Fact]
    public void TheChargeAtDispatchIsCorrectedByTheActualUsage()
    {
        // "overstating" is charged 4,000 tokens when it leaves and uses 1,000; "exact" is charged and uses 1,000.
        var served = ServeBacklogged(_queue, dispatches: 2_000, ("overstating", 1, 4_000, 1_000), ("exact", 1, 1_000, 1_000));

        // Counted by what they used, both are served alike: 1,000 each, give or take what one estimate can be off.
        Assert.InRange(served["overstating"].Requests, 996, 1_004);
    }

    [Fact]
    public void ATenantBackFromIdleStartsAtTheVirtualTimeWithNoCreditBanked()
    {
        Fill(_queue, "busy-1", 1, 1_000, count: 600);
        Fill(_queue, "busy-2", 1, 1_000, count: 600);
        for (var i = 0; i < 1_000; i++)
        {
            _queue.Complete(_queue.Take(), 1_000);
        }

        Fill(_queue, "returning", 1, 1_000, count: 100);

        Assert.Equal(_queue.VirtualTime, _queue.CounterOf("returning"));
        var returning = 0;
        for (var i = 0; i < 30; i++)
        {
            var entry = _queue.Take();
            returning += entry.Tenant == "returning" ? 1 : 0;
            _queue.Complete(entry, 1_000);
        }

        // A third of the capacity, as for the two that kept waiting: not the thousand requests it "missed".
        Assert.InRange(returning, 9, 11);
    }

    [Fact]
    public void ATenantServedAheadKeepsItsDebtWhileItHasNothingWaiting()
    {
        Fill(_queue, "steady", 1, 100, count: 20);
        Enqueue(_queue, "bursty", 1, 1_000);

        var order = new List<string>();
        Complete(order, _queue.Take());
        Complete(order, _queue.Take());
        Assert.Equal(0, _queue.QueuedBy("bursty"));
        Enqueue(_queue, "bursty", 1, 1_000);
        for (var i = 0; i < 11; i++)
        {
            Complete(order, _queue.Take());
        }

        // Its first request ties with steady's at zero and goes first (bursty began to wait last). Its second starts where
        // its first ended (1,000): steady is served up to there first, and at the tie there bursty goes again.
        Assert.Equal(["bursty", .. Enumerable.Repeat("steady", 10), "bursty", "steady"], order);

        void Complete(List<string> order, FairQueueEntry entry)
        {
            order.Add(entry.Tenant);
            _queue.Complete(entry, entry.Cost);
        }
    }

    [Fact]
    public void AnOwingTenantIsForgottenOnceTheVirtualTimePassesIt()
    {
        Fill(_queue, "steady", 1, 100, count: 50);
        Enqueue(_queue, "once", 1, 1_000);
        var once = _queue.Take();
        Assert.Equal("once", once.Tenant);
        _queue.Complete(once, 1_000);
        _queue.Complete(_queue.Take(), 100);
        Assert.Equal(2, _queue.Tenants);

        while (_queue.VirtualTime < 1_000 * FairQueue.UnitsPerToken)
        {
            _queue.Complete(_queue.Take(), 100);
        }

        Assert.Equal(1, _queue.Tenants);
        Assert.Null(_queue.CounterOf("once"));
    }

    [Fact]
    public void AnIdleQueueForgetsEveryCounter()
    {
        Fill(_queue, "a", 8, 500, count: 3);
        Fill(_queue, "b", 1, 500, count: 3);
        var running = new List<FairQueueEntry>();
        while (_queue.Peek() is not null)
        {
            running.Add(_queue.Take());
        }

        Assert.True(_queue.VirtualTime > 0);
        running.ForEach(entry => _queue.Complete(entry, 200));

        Assert.Equal((0, 0, 0, 0L), (_queue.Count, _queue.InFlight, _queue.Tenants, _queue.VirtualTime));
    }

    [Fact]
    public void ALoneTenantUsesEverySlot()
    {
        var slots = new Slots(_queue, 8);
        Fill(_queue, "alone", 1, 1_000, count: 100);

        slots.Dispatch();
        Assert.Equal((8, 92), (slots.Running.Count, _queue.Count));

        slots.Finish(slots.Running[3]);
        slots.Dispatch();
        Assert.Equal((8, 91), (slots.Running.Count, _queue.Count));
    }

    [Fact]
    public void ABronzeTenantAmongPlatinumOnesIsServedWithinABoundedWaitAndGetsItsShare()
    {
        for (var p = 0; p < 20; p++)
        {
            Fill(_queue, $"platinum-{p}", 8, 1_000, count: 400);
        }

        for (var i = 0; i < 500; i++)
        {
            _queue.Complete(_queue.Take(), 1_000);
        }

        Fill(_queue, "bronze", 1, 1_000, count: 20);
        var first = -1;
        var bronze = 0;
        for (var i = 0; i < 1_610; i++)
        {
            var entry = _queue.Take();
            if (entry.Tenant == "bronze")
            {
                bronze++;
                first = first < 0 ? i : first;
            }

            _queue.Complete(entry, 1_000);
        }

        // It starts at the virtual time: behind at most one request of each platinum tenant, then 1 in 161 of them.
        Assert.InRange(first, 0, 20);
        Assert.InRange(bronze, 9, 11);
    }

    [Fact]
    public void AWaitingRequestTimesOutAtTheQueueTimeoutInTheOrderRequestsJoined()
    {
        var early = Enqueue(_queue, "a", 1, 100);
        _clock.Advance(TimeSpan.FromSeconds(10));
        var late = Enqueue(_queue, "b", 1, 100);

        _clock.Advance(TimeSpan.FromSeconds(20) - TimeSpan.FromTicks(1));
        Assert.Null(_queue.TakeExpired(Now));
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.Same(early, _queue.TakeExpired(Now));
        Assert.Null(_queue.TakeExpired(Now));

        Assert.Equal(FairQueueEntryState.Expired, early.State);
        Assert.Equal(late.Deadline, _queue.NextDeadline);
        Assert.Same(late, _queue.Peek());
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Same(late, _queue.TakeExpired(Now));
        Assert.Equal((0, 0), (_queue.Count, _queue.Tenants));
    }

    [Fact]
    public void ACancelledRequestLeavesTheQueueAtOnceAndFreesItsPlace()
    {
        var queue = new FairQueue(new FairQueueOptions { MaxQueuedPerTenant = 2 }, _clock);
        var first = Enqueue(queue, "a", 1, 100);
        Enqueue(queue, "a", 1, 100);
        Assert.Equal(FairQueueOutcome.TenantFull, queue.Enqueue(new FairQueueEntry("a", 1, 100), Now).Outcome);

        Assert.True(queue.Remove(first));

        Assert.False(queue.Remove(first));
        Assert.Equal(FairQueueEntryState.Cancelled, first.State);
        Assert.Equal(FairQueueOutcome.Queued, queue.Enqueue(new FairQueueEntry("a", 1, 100), Now).Outcome);
        var taken = new[] { queue.Take(), queue.Take() };
        Assert.DoesNotContain(first, taken);
        Assert.False(queue.Remove(taken[0]));
        Assert.Null(queue.Peek());
    }

    [Fact]
    public void ATenantOverItsBoundIsRefusedUntilItsOldestRequestLeaves()
    {
        var queue = new FairQueue(new FairQueueOptions { MaxQueuedPerTenant = 3 }, _clock);
        Fill(queue, "flood", 1, 100, count: 3);
        _clock.Advance(TimeSpan.FromSeconds(5));

        var refused = queue.Enqueue(new FairQueueEntry("flood", 1, 100), Now);

        Assert.Equal(new FairQueueResult(FairQueueOutcome.TenantFull, TimeSpan.FromSeconds(25)), refused);
        Assert.Equal(FairQueueOutcome.Queued, queue.Enqueue(new FairQueueEntry("other", 1, 100), Now).Outcome);
        Assert.Equal(3, queue.QueuedBy("flood"));
    }

    [Fact]
    public void TheDeploymentOverItsBoundRefusesEveryoneUntilItsOldestRequestLeaves()
    {
        var queue = new FairQueue(new FairQueueOptions { MaxQueuedPerTenant = 3, MaxQueuedPerDeployment = 5 }, _clock);
        Fill(queue, "a", 1, 100, count: 3);
        _clock.Advance(TimeSpan.FromSeconds(12));
        Fill(queue, "b", 1, 100, count: 2);

        var refused = queue.Enqueue(new FairQueueEntry("c", 1, 100), Now);

        Assert.Equal(new FairQueueResult(FairQueueOutcome.DeploymentFull, TimeSpan.FromSeconds(18)), refused);
        Assert.Equal(FairQueueEntryState.New, new FairQueueEntry("c", 1, 100).State);
        queue.Take();
        Assert.Equal(FairQueueOutcome.Queued, queue.Enqueue(new FairQueueEntry("c", 1, 100), Now).Outcome);
    }

    [Fact]
    public void AnEntryIsQueuedOnlyOnce()
    {
        var entry = Enqueue(_queue, "a", 1, 100);

        Assert.Throws<InvalidOperationException>(() => _queue.Enqueue(entry, Now));
    }

    /// <summary>Keeps every tenant waiting (each request taken is replaced) and completes each at once at its actual usage.</summary>
    [Theory]
    [InlineData(SchedulingPolicy.Fair, "platinum,flood,flood,flood")]
    [InlineData(SchedulingPolicy.Fifo, "flood,flood,flood,platinum")]
    public void ThePolicyDecidesWhetherAHeavierTenantPassesAFloodThatCameFirst(SchedulingPolicy policy, string order)
    {
        var queue = new FairQueue(new FairQueueOptions { Policy = policy }, _clock);
        Fill(queue, "flood", 1, 1_000, count: 3);
        Fill(queue, "platinum", 8, 1_000, count: 1);

        Assert.Equal(order, string.Join(',', Enumerable.Range(0, 4).Select(_ => queue.Take().Tenant)));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void AtEqualCountersATenantThatBeganToWaitLastGoesAheadOfOneThatKeepsABacklog()
    {
        // The flood keeps a backlog; "light" comes with two requests after the flood's first left. Its first is behind
        // no one (lifted to the virtual time); its second ties with the flood's next (both one request of the same cost
        // ahead) and goes first: a tenant within its share is not kept behind a backlog for a whole round of releases.
        Fill(_queue, "flood", 1, 1_000, count: 5);
        var order = new List<string> { _queue.Take().Tenant };
        Fill(_queue, "light", 1, 1_000, count: 2);
        order.AddRange(Enumerable.Range(0, 4).Select(_ => _queue.Take().Tenant));

        Assert.Equal("flood,light,light,flood,flood", string.Join(',', order));
        Assert.Equal(_queue.CounterOf("flood"), _queue.CounterOf("light") + 840_000);
    }

    private Dictionary<string, (long Tokens, int Requests)> ServeBacklogged(
        FairQueue queue, int dispatches, params (string Tenant, int Weight, long Cost)[] tenants) =>
        ServeBacklogged(queue, dispatches, [.. tenants.Select(t => (t.Tenant, t.Weight, t.Cost, t.Cost))]);

    private Dictionary<string, (long Tokens, int Requests)> ServeBacklogged(
        FairQueue queue, int dispatches, params (string Tenant, int Weight, long Cost, long Used)[] tenants)
    {
        var served = tenants.ToDictionary(t => t.Tenant, _ => (Tokens: 0L, Requests: 0));
        var byName = tenants.ToDictionary(t => t.Tenant);
        foreach (var (tenant, weight, cost, _) in tenants)
        {
            Fill(queue, tenant, weight, cost, count: 4);
        }

        for (var i = 0; i < dispatches; i++)
        {
            var entry = queue.Take();
            var (tenant, weight, cost, used) = byName[entry.Tenant];
            queue.Complete(entry, used);
            served[tenant] = (served[tenant].Tokens + used, served[tenant].Requests + 1);
            Enqueue(queue, tenant, weight, cost);
        }

        return served;
    }

    private void Fill(FairQueue queue, string tenant, int weight, long cost, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Enqueue(queue, tenant, weight, cost);
        }
    }

    private FairQueueEntry Enqueue(FairQueue queue, string tenant, int weight, long cost)
    {
        var entry = new FairQueueEntry(tenant, weight, cost);
        Assert.Equal(FairQueueOutcome.Queued, queue.Enqueue(entry, Now).Outcome);
        return entry;
    }

    /// <summary>A deployment with a number of slots, dispatching from the queue whenever one is free.</summary>
    private sealed class Slots(FairQueue queue, int count)
    {
        public List<FairQueueEntry> Running { get; } = [];

        public void Dispatch()
        {
            while (Running.Count < count && queue.Peek() is not null)
            {
                Running.Add(queue.Take());
            }
        }

        public void Finish(FairQueueEntry entry)
        {
            Running.Remove(entry);
            queue.Complete(entry, entry.Cost);
        }
    }
}
