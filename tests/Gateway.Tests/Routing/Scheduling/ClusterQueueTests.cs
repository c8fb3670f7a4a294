using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>
/// One deployment's fair queue across two silos, through each silo's <see cref="DeploymentCapacity"/> against the grain's
/// decisions in memory (<see cref="CapacityHarness"/>, the grain's long poll included): a saturated deployment is shared
/// by weight whichever silo the tenants wait on, spare idle on one silo goes to waiters on the other, and a light tenant
/// among heavy ones on another silo is not starved. The clock is fake and never moves unless a test moves it.
/// </summary>
public sealed class ClusterQueueTests
{
    private const string Deployment = "gpt-4.1#0";
    private const long Cost = 100;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly CapacityHarness _harness = new();

    [Fact]
    public async Task TenantsWaitingOnTwoSilosShareASaturatedDeploymentByWeight()
    {
        var limits = new DeploymentLimits(null, null, 4);
        var a = _harness.Silo("a");
        var b = _harness.Silo("b");

        // The flood runs everything on silo a and waits there; gold (4) and bronze (1) wait on silo b.
        var running = new Queue<CapacityTicket>(await FillAsync(a, limits, 4));
        var waits = new List<(string Tenant, Task<CapacityTicket> Wait)>();
        waits.AddRange(Enumerable.Range(0, 60).Select(_ => ("gold", b.WaitAsync(Deployment, limits, Cost, "gold", 4, default).AsTask())));
        waits.AddRange(Enumerable.Range(0, 20).Select(_ => ("bronze", b.WaitAsync(Deployment, limits, Cost, "bronze", 1, default).AsTask())));
        waits.AddRange(Enumerable.Range(0, 40).Select(_ => ("flood", a.WaitAsync(Deployment, limits, Cost, "flood", 1, default).AsTask())));
        await SettleAsync(a, b);

        var served = await DispatchAsync(running, waits, 60, [a, b], 4);

        // Start-time fair queuing over all three, wherever they wait: 1 : 4 : 1 of 60 (10, 40, 10), within a request or
        // two of what a silo learns a round trip late. Without the cluster's queue the flood kept all four slots.
        Assert.InRange(served.Count(t => t == "flood"), 8, 12);
        Assert.InRange(served.Count(t => t == "gold"), 37, 43);
        Assert.InRange(served.Count(t => t == "bronze"), 8, 12);
    }

    [Fact]
    public async Task EqualTenantsOnTwoSilosShareEquallyWhenOneFloods()
    {
        var limits = new DeploymentLimits(null, null, 4);
        var a = _harness.Silo("a");
        var b = _harness.Silo("b");
        var running = new Queue<CapacityTicket>(await FillAsync(a, limits, 4));
        var waits = new List<(string Tenant, Task<CapacityTicket> Wait)>();
        foreach (var victim in new[] { "v1", "v2", "v3" })
        {
            waits.AddRange(Enumerable.Range(0, 20).Select(_ => (victim, b.WaitAsync(Deployment, limits, Cost, victim, 1, default).AsTask())));
        }

        waits.AddRange(Enumerable.Range(0, 60).Select(_ => ("flood", a.WaitAsync(Deployment, limits, Cost, "flood", 1, default).AsTask())));
        await SettleAsync(a, b);

        var served = await DispatchAsync(running, waits, 40, [a, b], 4);

        // Four equal tenants: a quarter each, the flood on its own silo no more than a victim.
        Assert.All(new[] { "flood", "v1", "v2", "v3" }, t => Assert.InRange(served.Count(s => s == t), 8, 12));
    }

    [Fact]
    public async Task ASiloWithSpareAndNoQueueGivesItToASiloWithWaitersWithinARenewInterval()
    {
        var limits = new DeploymentLimits(null, null, 4);
        var a = _harness.Silo("a");
        var b = _harness.Silo("b");
        foreach (var ticket in await FillAsync(a, limits, 4))
        {
            ticket.Complete(Cost);
        }

        Assert.Equal(4, a.GetLoad(Deployment).SpareSlots);
        var waiting = b.WaitAsync(Deployment, limits, Cost, "t", 1, default).AsTask();
        await _harness.WhenCallsDoneAsync();
        Assert.False(waiting.IsCompleted, "Silo a holds every slot as spare until it hears that b waits.");

        await _harness.AdvanceAsync(_harness.Options.RenewInterval);

        var served = await waiting.WaitAsync(Patience);
        Assert.True(served.IsAcquired && served.WasQueued);
        Assert.Equal(0, a.GetLoad(Deployment).SpareSlots);
        served.Complete(Cost);
    }

    [Fact]
    public async Task ALightTenantArrivingLateOnAnotherSiloIsServedAtOnceAndNotStarved()
    {
        var limits = new DeploymentLimits(null, null, 2);
        var a = _harness.Silo("a");
        var b = _harness.Silo("b");
        var running = new Queue<CapacityTicket>(await FillAsync(a, limits, 2));
        var waits = new List<(string Tenant, Task<CapacityTicket> Wait)>();
        foreach (var platinum in new[] { "p1", "p2", "p3" })
        {
            waits.AddRange(Enumerable.Range(0, 40).Select(_ => (platinum, a.WaitAsync(Deployment, limits, Cost, platinum, 8, default).AsTask())));
        }

        // The platinum tenants run a while on their own: the virtual time moves well past zero.
        await DispatchAsync(running, waits, 30, [a, b], 2);

        waits.AddRange(Enumerable.Range(0, 10).Select(_ => ("bronze", b.WaitAsync(Deployment, limits, Cost, "bronze", 1, default).AsTask())));
        await SettleAsync(a, b);
        var served = await DispatchAsync(running, waits, 48, [a, b], 2);

        // Bronze starts at the cluster's virtual time, neither behind (no credit banked at zero) nor starved: one
        // request of 100 tokens at weight 1 per 3 × 8 of the platinum tenants', so 2 of 48, the first within a few.
        var first = served.IndexOf("bronze");
        Assert.InRange(first, 0, 4);
        Assert.InRange(served.Count(t => t == "bronze"), 2, 3);
    }

    [Fact]
    public async Task ASiloWaitingWhileItHoldsNothingKeepsItsLeaseSoASlotFreedOnTheOtherSiloReachesItsQueue()
    {
        // A refusal is remembered longer than the renew interval: only the lease's renewals and the long poll call.
        _harness.Options.BusyRetryAfter = TimeSpan.FromSeconds(5);
        var limits = new DeploymentLimits(null, null, 1);
        var a = _harness.Silo("a");
        var b = _harness.Silo("b");
        var running = Assert.Single(await FillAsync(a, limits, 1));
        var x1 = a.WaitAsync(Deployment, limits, Cost, "x", 1, default).AsTask();
        var x2 = a.WaitAsync(Deployment, limits, Cost, "x", 1, default).AsTask();
        await _harness.WhenCallsDoneAsync();

        // x's first request takes the slot on silo a: x's counter moves past the virtual time, at which y then joins on
        // silo b, so y's start tag comes first and the slot x's request frees is y's.
        running.Complete(Cost);
        var first = await x1.WaitAsync(Patience);
        var y = b.WaitAsync(Deployment, limits, Cost, "y", 1, default).AsTask();
        await SettleAsync(a, b);

        // Two renew intervals in which silo b waits holding nothing at all (its calls are refused, nothing of its runs).
        // Had it forgotten its lease as an idle one, the grain would keep y's head under the old lease, claiming for it the
        // slot freed next and ringing a long poll no one holds, until the lease expired.
        await _harness.AdvanceAsync(2 * _harness.Options.RenewInterval);
        Assert.Equal(0, b.GetLoad(Deployment).InFlight);

        first.Complete(Cost);
        var served = await y.WaitAsync(Patience);
        Assert.True(served.IsAcquired && served.WasQueued, $"y was refused ({served.Refusal}).");
        Assert.False(x2.IsCompleted, "The one slot is y's.");
        Assert.Single(_harness.Report(Deployment).Leases, l => l.Silo == "b");

        // Done, y's slot comes back to silo a's waiting request within renew intervals (given back, then granted).
        served.Complete(Cost);
        await _harness.AdvanceAsync(3 * _harness.Options.RenewInterval);
        var last = await x2.WaitAsync(Patience);
        Assert.True(last.IsAcquired && last.WasQueued, $"x's second request was refused ({last.Refusal}).");
        last.Complete(Cost);
    }

    private Task SettleAsync(DeploymentCapacity a, DeploymentCapacity b) => QueueDispatch.SettleAsync(Deployment, a, b, _harness.WhenCallsDoneAsync);

    private static Task<List<CapacityTicket>> FillAsync(DeploymentCapacity silo, DeploymentLimits limits, int count) =>
        QueueDispatch.FillAsync(silo, Deployment, limits, Cost, count);

    private static Task<List<string>> DispatchAsync(
        Queue<CapacityTicket> running, List<(string Tenant, Task<CapacityTicket> Wait)> waits, int count, DeploymentCapacity[] silos, int limit) =>
        QueueDispatch.DispatchAsync(Deployment, Cost, running, waits, count, silos, limit);
}
