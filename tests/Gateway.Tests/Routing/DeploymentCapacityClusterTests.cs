using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;
using Gateway.Tests.Routing.Scheduling;

namespace Gateway.Tests.Routing;

/// <summary>
/// Deployment capacity with real grains: two silos, each with its own <see cref="DeploymentCapacity"/>, drawing on one
/// <see cref="IDeploymentCapacityGrain"/> per deployment. The limits hold across both silos, never per silo.
/// Every test uses its own deployment id and only moves the shared clock forward.
/// </summary>
[Collection(TwoSiloClusterCollection.Name)]
public sealed class DeploymentCapacityClusterTests(TwoSiloClusterFixture cluster)
{
    [Fact]
    public async Task FortyConcurrentAcquisitionsOverTwoSilosGetExactlyTheConcurrencyLimit()
    {
        var deployment = NewDeployment();
        var limits = new DeploymentLimits(null, null, 10);

        var attempts = Enumerable.Range(0, 40).Select(i => AcquireAsync(i % 2, deployment, limits)).ToList();
        var results = await Task.WhenAll(attempts);

        var held = results.Where(r => r.Ticket.IsAcquired).ToList();
        Assert.Equal(10, held.Count);
        Assert.All(results.Where(r => !r.Ticket.IsAcquired), r =>
        {
            Assert.Equal(CapacityRefusal.Concurrency, r.Ticket.Refusal);
            Assert.True(r.Ticket.RetryAfter > TimeSpan.Zero);
        });

        // Three finish: exactly three more start, wherever they are tried.
        foreach (var (_, ticket) in held.Take(3))
        {
            ticket.Complete(0);
        }

        var more = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => AcquireAsync(i % 2, deployment, limits)));
        Assert.Equal(3, more.Count(r => r.Ticket.IsAcquired));

        // After a renewal the grain knows what runs where: 10 in flight, 10 slots leased, never more.
        await cluster.AdvanceAsync(cluster.Options.RenewInterval);
        var report = await Grain(deployment).GetReportAsync();
        Assert.Equal(10, report.SlotsLeased);
        Assert.Equal(10, report.InFlight);
        Assert.Equal(2, report.Leases.Count);
        var running = held.Skip(3).Concat(more.Where(r => r.Ticket.IsAcquired)).ToList();
        for (var silo = 0; silo < 2; silo++)
        {
            var onSilo = running.Count(r => r.Silo == silo);
            Assert.Equal(onSilo, cluster.Capacity(silo).GetLoad(deployment).InFlight);
            Assert.Equal(onSilo, report.Leases.Where(l => l.Silo == SiloName(silo)).Sum(l => l.InFlight));
        }

        foreach (var (_, ticket) in running)
        {
            ticket.Complete(0);
        }
    }

    [Fact]
    public async Task ThirtyRequestsPerMinuteAdmitExactlyThirtyOfAHundredOverTwoSilos()
    {
        var deployment = NewDeployment();
        var limits = new DeploymentLimits(30, null, null);

        Assert.Equal(30, await StartAndCompleteAsync(deployment, limits, 100));

        // 20 s later the bucket has refilled 10: exactly 10 more, 40 in 20 s, the bound of a single bucket
        // (30 × (1 + 20/60)), never 30 per silo.
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(10, await StartAndCompleteAsync(deployment, limits, 100));
    }

    [Fact]
    public async Task AnUnlimitedDeploymentMakesNoGrainCall()
    {
        var unlimited = NewDeployment();
        for (var silo = 0; silo < 2; silo++)
        {
            var ticket = Synchronous.Ticket(cluster.Capacity(silo).AcquireAsync(unlimited, DeploymentLimits.Unlimited, 5_000, default), "Unlimited: no wait.");
            Assert.True(ticket.IsAcquired);
            ticket.Complete(4_000);
        }

        await cluster.AdvanceAsync(cluster.Options.IdleReturn);
        Assert.False(cluster.Cluster.TryGetGrainContext(Grain(unlimited).GetGrainId(), out _), "The unlimited deployment's grain was activated.");

        // The same check sees a limited deployment's grain.
        var limited = NewDeployment();
        (await cluster.Capacity(0).AcquireAsync(limited, new DeploymentLimits(null, null, 1), 0, default)).Complete(0);
        Assert.True(cluster.Cluster.TryGetGrainContext(Grain(limited).GetGrainId(), out _), "The limited deployment's grain must be active.");
    }

    [Fact]
    public async Task SpareGivenBackAfterIdleLetsTheOtherSiloTakeIt()
    {
        var deployment = NewDeployment();
        var limits = new DeploymentLimits(null, null, 4);
        var first = new List<CapacityTicket>();
        for (var i = 0; i < 4; i++)
        {
            first.Add(await cluster.Capacity(0).AcquireAsync(deployment, limits, 0, default));
        }

        Assert.All(first, t => Assert.True(t.IsAcquired));
        first.ForEach(t => t.Complete(0));
        Assert.Equal(4, cluster.Capacity(0).GetLoad(deployment).SpareSlots);

        await cluster.AdvanceAsync(cluster.Options.IdleReturn);

        Assert.Equal(0, cluster.Capacity(0).GetLoad(deployment).SpareSlots);
        Assert.Equal(0, (await Grain(deployment).GetReportAsync()).SlotsLeased);
        var second = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => AcquireAsync(1, deployment, limits)));
        Assert.Equal(4, second.Count(r => r.Ticket.IsAcquired));
        Assert.Equal(4, cluster.Capacity(1).GetLoad(deployment).InFlight);
        foreach (var (_, ticket) in second)
        {
            ticket.Complete(0);
        }
    }

    [Fact]
    public async Task ASiloShortOfCapacityGetsTheOtherSilosSpareWithinARenewInterval()
    {
        var deployment = NewDeployment();
        var limits = new DeploymentLimits(null, null, 4);
        var first = new List<CapacityTicket>();
        for (var i = 0; i < 4; i++)
        {
            first.Add(await cluster.Capacity(0).AcquireAsync(deployment, limits, 0, default));
        }

        first[0].Complete(0);
        first[1].Complete(0);
        var refused = await cluster.Capacity(1).AcquireAsync(deployment, limits, 0, default);
        Assert.False(refused.IsAcquired);
        Assert.Equal(cluster.Options.BusyRetryAfter, refused.RetryAfter);

        await cluster.AdvanceAsync(cluster.Options.RenewInterval);

        Assert.Equal(0, cluster.Capacity(0).GetLoad(deployment).SpareSlots);
        var second = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => AcquireAsync(1, deployment, limits)));
        Assert.Equal(2, second.Count(r => r.Ticket.IsAcquired));
        foreach (var ticket in first.Skip(2).Concat(second.Select(r => r.Ticket)))
        {
            ticket.Complete(0);
        }
    }

    [Fact]
    public async Task ALeaseThatStopsRenewingExpiresAndItsSlotsGoToALiveSilo()
    {
        var deployment = NewDeployment();
        var limits = new DeploymentLimits(null, null, 3);

        // A silo that took every slot and then died: it never calls again.
        var dead = await Grain(deployment).LeaseAsync(new LeaseRequest(
            "dead-silo/1", "dead-silo", 1, limits, CapacityAmount.None, 0, 0, 0, new CapacityAmount(1, 0, 0), new CapacityAmount(3, 0, 0)));
        Assert.Equal(new CapacityAmount(3, 0, 0), dead.Granted);
        Assert.False((await cluster.Capacity(0).AcquireAsync(deployment, limits, 0, default)).IsAcquired);

        await cluster.AdvanceAsync(cluster.Options.LeaseTimeToLive);
        Assert.False((await cluster.Capacity(0).AcquireAsync(deployment, limits, 0, default)).IsAcquired, "Not before the time-to-live has passed.");
        await cluster.AdvanceAsync(cluster.Options.BusyRetryAfter);

        var ticket = await cluster.Capacity(0).AcquireAsync(deployment, limits, 0, default);
        Assert.True(ticket.IsAcquired, "The dead silo's slots are free after its lease expired.");
        var report = await Grain(deployment).GetReportAsync();
        Assert.DoesNotContain(report.Leases, l => l.Silo == "dead-silo");
        ticket.Complete(0);
    }

    [Fact]
    public async Task ARaisedLimitIsAdoptedAtOnce()
    {
        var deployment = NewDeployment();
        var two = new DeploymentLimits(null, null, 2);
        var tickets = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => AcquireAsync(i % 2, deployment, two)));
        Assert.Equal(2, tickets.Count(r => r.Ticket.IsAcquired));

        await cluster.AdvanceAsync(cluster.Options.BusyRetryAfter);
        var three = new DeploymentLimits(null, null, 3);
        var more = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => AcquireAsync(0, deployment, three)));

        Assert.Equal(1, more.Count(r => r.Ticket.IsAcquired));
        Assert.Equal(three, (await Grain(deployment).GetReportAsync()).Limits);
        foreach (var (_, ticket) in tickets.Concat(more))
        {
            ticket.Complete(0);
        }
    }

    [Fact]
    public async Task QueuesOnTwoSilosShareASaturatedDeploymentByWeightWithinItsConcurrency()
    {
        var deployment = NewDeployment();
        var limits = new DeploymentLimits(null, null, 4);
        var flooded = cluster.Capacity(0);
        var other = cluster.Capacity(1);
        using var leave = new CancellationTokenSource();

        // The flood holds every slot on silo 0 and waits there; gold (weight 4) and bronze (1) wait on silo 1.
        var running = new Queue<CapacityTicket>(await QueueDispatch.FillAsync(flooded, deployment, limits, 100, 4));
        var waits = new List<(string Tenant, Task<CapacityTicket> Wait)>();
        waits.AddRange(Enumerable.Range(0, 60).Select(_ => ("gold", other.WaitAsync(deployment, limits, 100, "gold", 4, leave.Token).AsTask())));
        waits.AddRange(Enumerable.Range(0, 20).Select(_ => ("bronze", other.WaitAsync(deployment, limits, 100, "bronze", 1, leave.Token).AsTask())));
        waits.AddRange(Enumerable.Range(0, 40).Select(_ => ("flood", flooded.WaitAsync(deployment, limits, 100, "flood", 1, leave.Token).AsTask())));
        await QueueDispatch.SettleAsync(deployment, flooded, other, cluster.WhenCallsDoneAsync);

        var served = await QueueDispatch.DispatchAsync(deployment, 100, running, waits, 60, [flooded, other], 4);

        // 1 : 4 : 1 across the silos, never more than 4 running between them (checked at every step).
        Assert.InRange(served.Count(t => t == "flood"), 8, 12);
        Assert.InRange(served.Count(t => t == "gold"), 37, 43);
        Assert.InRange(served.Count(t => t == "bronze"), 8, 12);
        await leave.CancelAsync();
        foreach (var ticket in running)
        {
            ticket.Complete(100);
        }

        await cluster.AdvanceAsync(cluster.Options.RenewInterval);
        Assert.InRange((await Grain(deployment).GetReportAsync()).SlotsLeased, 0, 4);
    }

    /// <summary>Starts <paramref name="count"/> requests in turn, alternating silos, completing each; returns how many started.</summary>
    private async Task<int> StartAndCompleteAsync(string deployment, DeploymentLimits limits, int count)
    {
        var started = 0;
        for (var i = 0; i < count; i++)
        {
            using var ticket = await cluster.Capacity(i % 2).AcquireAsync(deployment, limits, 0, default);
            if (ticket.IsAcquired)
            {
                started++;
            }
            else
            {
                Assert.Equal(CapacityRefusal.Requests, ticket.Refusal);
            }
        }

        return started;
    }

    private async Task<(int Silo, CapacityTicket Ticket)> AcquireAsync(int silo, string deployment, DeploymentLimits limits) =>
        (silo, await cluster.Capacity(silo).AcquireAsync(deployment, limits, 0, default));

    private IDeploymentCapacityGrain Grain(string deployment) => cluster.Grains.GetGrain<IDeploymentCapacityGrain>(deployment);

    private string SiloName(int silo) => cluster.Cluster.Silos[silo].SiloAddress.ToParsableString();

    private static string NewDeployment() => $"gpt-4.1#{Guid.NewGuid():N}";
}
