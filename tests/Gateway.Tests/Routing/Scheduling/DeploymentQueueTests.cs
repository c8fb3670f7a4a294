using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;
using Gateway.Grains.Routing.Scheduling;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>
/// A full deployment's queue on one silo, through <see cref="DeploymentCapacity"/>'s public API against the grain's
/// decisions in memory (<see cref="CapacityHarness"/>): freed capacity goes to waiting requests in weighted fair order,
/// new requests do not pass them, and waits end by timeout, by disconnect or at once at a bound. The clock is fake.
/// </summary>
public sealed class DeploymentQueueTests
{
    private const string Deployment = "gpt-4.1#0";
    private static readonly DeploymentLimits OneSlot = new(null, null, 1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly CapacityHarness _harness = new();

    [Fact]
    public async Task FreedSlotsGoToWaitingTenantsByWeight()
    {
        var silo = _harness.Silo("a");
        var running = await Fill(silo);
        var waits = new List<(string Tenant, Task<CapacityTicket> Wait)>();
        for (var i = 0; i < 5; i++)
        {
            waits.Add(("gold", silo.WaitAsync(Deployment, OneSlot, 100, "gold", 4, default).AsTask()));
            waits.Add(("bronze", silo.WaitAsync(Deployment, OneSlot, 100, "bronze", 1, default).AsTask()));
        }

        await _harness.WhenCallsDoneAsync();
        Assert.DoesNotContain(waits, w => w.Wait.IsCompleted);

        var order = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            running.Complete(100);
            var next = await Task.WhenAny(waits.Select(w => w.Wait)).WaitAsync(Patience);
            var served = waits.Single(w => w.Wait == next);
            waits.Remove(served);
            order.Add(served.Tenant);
            running = await next;
            Assert.True(running.IsAcquired && running.WasQueued);
        }

        // Gold weighs four bronzes: four of the first five, bronze once (it is not starved).
        Assert.Equal(4, order.Count(t => t == "gold"));
        Assert.Equal(1, order.Count(t => t == "bronze"));
    }

    [Fact]
    public async Task WhileRequestsWaitANewRequestDoesNotPassThem()
    {
        var silo = _harness.Silo("a");
        var running = await Fill(silo);
        var waiting = silo.WaitAsync(Deployment, OneSlot, 100, "patient", 1, default).AsTask();
        await _harness.WhenCallsDoneAsync();
        var calls = _harness.Calls;

        var passing = await silo.AcquireAsync(Deployment, OneSlot, 100, default);

        Assert.False(passing.IsAcquired, "A request arriving while others wait must join them, not take the next slot.");
        Assert.Equal(calls, _harness.Calls);
        running.Complete(100);
        Assert.True((await waiting.WaitAsync(Patience)).IsAcquired);
    }

    [Fact]
    public async Task ATicketFromTheQueueSaysHowLongItWaited()
    {
        var silo = _harness.Silo("a");
        var running = await Fill(silo);
        var waiting = silo.WaitAsync(Deployment, OneSlot, 100, "t", 1, default).AsTask();

        await _harness.AdvanceAsync(TimeSpan.FromSeconds(3));
        running.Complete(100);

        var ticket = await waiting.WaitAsync(Patience);
        Assert.Equal((true, TimeSpan.FromSeconds(3)), (ticket.WasQueued, ticket.QueuedFor));
    }

    [Fact]
    public async Task AWaitEndsAtTheQueueTimeoutWithARefusal()
    {
        var silo = _harness.Silo("a", new FairQueueOptions { QueueTimeout = TimeSpan.FromSeconds(5) });
        await Fill(silo);
        var waiting = silo.WaitAsync(Deployment, OneSlot, 100, "t", 1, default).AsTask();

        await _harness.AdvanceAsync(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        Assert.False(waiting.IsCompleted, "Still within the queue timeout.");
        await _harness.AdvanceAsync(TimeSpan.FromMilliseconds(1));

        var ticket = await waiting.WaitAsync(Patience);
        Assert.Equal((false, CapacityRefusal.QueueTimeout), (ticket.IsAcquired, ticket.Refusal));
        Assert.True(ticket.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task ADisconnectedWaiterLeavesAtOnceAndTheNextOneGetsTheSlot()
    {
        var silo = _harness.Silo("a");
        var running = await Fill(silo);
        using var disconnect = new CancellationTokenSource();
        var leaving = silo.WaitAsync(Deployment, OneSlot, 100, "a", 1, disconnect.Token).AsTask();
        var staying = silo.WaitAsync(Deployment, OneSlot, 100, "b", 1, default).AsTask();

        await disconnect.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving.WaitAsync(Patience));
        running.Complete(100);
        Assert.True((await staying.WaitAsync(Patience)).IsAcquired);
    }

    [Fact]
    public async Task BoundsRefuseAtOnceTheTenantsOwnAsFullTheDeploymentsAsSaturated()
    {
        var silo = _harness.Silo("a", new FairQueueOptions { MaxQueuedPerTenant = 1, MaxQueuedPerDeployment = 2 });
        await Fill(silo);
        _ = silo.WaitAsync(Deployment, OneSlot, 100, "flood", 1, default).AsTask();

        var tenantFull = await silo.WaitAsync(Deployment, OneSlot, 100, "flood", 1, default);
        _ = silo.WaitAsync(Deployment, OneSlot, 100, "other", 1, default).AsTask();
        var saturated = await silo.WaitAsync(Deployment, OneSlot, 100, "third", 1, default);

        Assert.Equal((false, CapacityRefusal.TenantQueueFull), (tenantFull.IsAcquired, tenantFull.Refusal));
        Assert.Equal((false, CapacityRefusal.QueueFull), (saturated.IsAcquired, saturated.Refusal));
        // Not the 30 s until the oldest waiting request's deadline: room comes back as soon as one leaves.
        Assert.Equal(_harness.Options.BusyRetryAfter, tenantFull.RetryAfter);
        Assert.Equal(_harness.Options.BusyRetryAfter, saturated.RetryAfter);
    }

    [Theory]
    [InlineData(true, "returning")]
    [InlineData(false, "later")]
    public async Task ARequestWhoseAttemptFailedAfterWaitingComesBackAheadOfThoseThatArrivedAfterIt(bool keepsItsPlace, string servedNext)
    {
        var silo = _harness.Silo("a");
        var running = await Fill(silo);
        var first = silo.WaitAsync(Deployment, OneSlot, 100, "returning", 1, default).AsTask();
        running.Complete(100);
        var failing = await first.WaitAsync(Patience);
        Assert.True(failing.IsAcquired && failing.Place is not null);
        var later = silo.WaitAsync(Deployment, OneSlot, 100, "later", 1, default).AsTask();

        // The attempt failed: the request waits again (with its place, or as a newcomer), then gives back the slot it held.
        var again = silo.WaitAsync(Deployment, OneSlot, 100, "returning", 1, keepsItsPlace ? failing.Place : null, default).AsTask();
        failing.Complete(0);

        var next = await Task.WhenAny(again, later).WaitAsync(Patience);
        Assert.Equal(servedNext, next == again ? "returning" : "later");
        Assert.False((next == again ? later : again).IsCompleted, "One slot: the other request still waits.");
        (await next).Complete(100);
        Assert.True((await (next == again ? later : again).WaitAsync(Patience)).IsAcquired);
    }

    [Theory]
    [InlineData(0.5, new[] { 2, 2, 3, 4 })]
    [InlineData(0.0, new[] { 4, 4, 4, 4 })]
    public async Task SlotsFreedInABurstAreHandedOnAnIntervalApartUnlessPacingIsOff(double pacing, int[] handedOn)
    {
        // Four slots held 160 ms each come free every 40 ms on average; at 0.5 the queue hands them on 20 ms apart.
        var fourSlots = new DeploymentLimits(null, null, 4);
        var silo = _harness.Silo("a", new FairQueueOptions { Pacing = pacing });
        var running = await TakeAll(silo, fourSlots, 4);
        var waits = Enumerable.Range(0, 4).Select(i => silo.WaitAsync(Deployment, fourSlots, 100, $"t{i}", 1, default).AsTask()).ToList();
        await _harness.AdvanceAsync(TimeSpan.FromMilliseconds(160));
        Assert.Equal(4, silo.GetLoad(Deployment).Queued);
        running.ForEach(t => t.Complete(100));

        // What the pool has handed on, read under its lock (the waiters' tasks complete on the thread pool).
        var counts = new List<int> { silo.GetLoad(Deployment).InFlight };
        foreach (var step in new[] { 19, 1, 20 })
        {
            await _harness.AdvanceAsync(TimeSpan.FromMilliseconds(step));
            counts.Add(silo.GetLoad(Deployment).InFlight);
        }

        Assert.Equal(handedOn, counts);
        await AssertAllServedAsync(waits);
    }

    [Fact]
    public async Task PacingNeverKeepsARequestBesideAFreeSlotUntilItsWaitTimesOut()
    {
        // Four slots held 200 ms each, paced 50 ms apart at 1; the waits time out 60 ms after they began, 10 ms after the
        // burst: the third and the fourth would be handed on only at 50 and 100 ms, and are handed on at once instead.
        var fourSlots = new DeploymentLimits(null, null, 4);
        var silo = _harness.Silo("a", new FairQueueOptions { Pacing = 1, QueueTimeout = TimeSpan.FromMilliseconds(60) });
        var running = await TakeAll(silo, fourSlots, 4);
        await _harness.AdvanceAsync(TimeSpan.FromMilliseconds(150));
        var waits = Enumerable.Range(0, 4).Select(i => silo.WaitAsync(Deployment, fourSlots, 100, $"t{i}", 1, default).AsTask()).ToList();
        await _harness.AdvanceAsync(TimeSpan.FromMilliseconds(50));
        running.ForEach(t => t.Complete(100));

        Assert.Equal(4, silo.GetLoad(Deployment).InFlight);
        await AssertAllServedAsync(waits);
    }

    private static async Task<List<CapacityTicket>> TakeAll(DeploymentCapacity silo, DeploymentLimits limits, int count)
    {
        var tickets = new List<CapacityTicket>();
        for (var i = 0; i < count; i++)
        {
            var ticket = await silo.AcquireAsync(Deployment, limits, 100, default);
            Assert.True(ticket.IsAcquired);
            tickets.Add(ticket);
        }

        return tickets;
    }

    private static async Task AssertAllServedAsync(List<Task<CapacityTicket>> waits)
    {
        foreach (var wait in waits)
        {
            var ticket = await wait.WaitAsync(Patience);
            Assert.True(ticket.IsAcquired && ticket.WasQueued);
        }
    }

    /// <summary>Takes the deployment's one slot.</summary>
    private static async Task<CapacityTicket> Fill(DeploymentCapacity silo)
    {
        var ticket = await silo.AcquireAsync(Deployment, OneSlot, 100, default);
        Assert.True(ticket.IsAcquired);
        return ticket;
    }
}
