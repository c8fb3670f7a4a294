using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;

namespace Gateway.Tests.Routing;

/// <summary>
/// A silo's pools through <see cref="DeploymentCapacity"/>'s public API, against the grain's decisions in memory
/// (<see cref="CapacityHarness"/>): the synchronous path, shared calls, tickets, idle and requested give-backs,
/// refusal memory, an unreachable grain, an expired lease. The clock is fake and moved by the tests.
/// </summary>
public sealed class DeploymentCapacityTests
{
    private const string Deployment = "gpt-4.1#0";

    private readonly CapacityHarness _harness = new();

    [Fact]
    public async Task AnUnlimitedDeploymentNeverCallsTheGrainButCountsItsRequests()
    {
        var silo = _harness.Silo("a");

        var tickets = Enumerable.Range(0, 3)
            .Select(_ => Synchronous.Ticket(silo.AcquireAsync(Deployment, DeploymentLimits.Unlimited, 1_000, default), "An unlimited deployment acquires synchronously."))
            .ToList();

        Assert.All(tickets, t => Assert.True(t.IsAcquired));
        Assert.Equal(3, silo.GetLoad(Deployment).InFlight);
        foreach (var ticket in tickets)
        {
            ticket.Complete(10);
        }

        await _harness.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(0, silo.GetLoad(Deployment).InFlight);
        Assert.Equal(0, _harness.Calls);
    }

    [Fact]
    public async Task AWarmPoolAcquiresSynchronouslyWithoutAGrainCall()
    {
        var silo = _harness.Silo("a");
        var limits = new DeploymentLimits(null, null, 10);

        var first = await silo.AcquireAsync(Deployment, limits, 0, default);
        Assert.True(first.IsAcquired);
        Assert.Equal(1, _harness.Calls);

        // The grant was 1 needed + half the 9 left: 4 more fit without asking.
        for (var i = 0; i < 4; i++)
        {
            Assert.True(Synchronous.Ticket(silo.AcquireAsync(Deployment, limits, 0, default), $"Acquisition {i + 2} must come from the spare.").IsAcquired);
        }

        Assert.Equal(1, _harness.Calls);
        _harness.Hold();
        var sixth = silo.AcquireAsync(Deployment, limits, 0, default);
        Assert.False(sixth.IsCompleted, "The sixth needs the grain.");
        _harness.Release();
        Assert.True((await sixth).IsAcquired);
        Assert.Equal(2, _harness.Calls);
    }

    [Fact]
    public async Task AWarmAcquisitionAllocatesNothingButItsTicket()
    {
        var silo = _harness.Silo("a");
        var limits = new DeploymentLimits(1_000_000, 1_000_000_000, 1_000);
        (await silo.AcquireAsync(Deployment, limits, 100, default)).Complete(50);
        Synchronous.Ticket(silo.AcquireAsync(Deployment, limits, 100, default), "Warm.").Complete(50);

        const int Count = 1_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Count; i++)
        {
            Synchronous.Ticket(silo.AcquireAsync(Deployment, limits, 100, default), "The spare suffices.").Complete(50);
        }

        var perAcquisition = (GC.GetAllocatedBytesForCurrentThread() - before) / Count;
        Assert.True(perAcquisition <= 64, $"{perAcquisition} bytes per warm acquisition: more than a ticket.");
    }

    [Fact]
    public async Task RequestsWaitingForTheGrainShareOneCall()
    {
        var silo = _harness.Silo("a");
        var limits = new DeploymentLimits(null, null, 10);
        _harness.Hold();

        var pending = Enumerable.Range(0, 5).Select(_ => silo.AcquireAsync(Deployment, limits, 0, default).AsTask()).ToList();
        Assert.All(pending, p => Assert.False(p.IsCompleted, "No spare yet: every request waits for the grain."));
        _harness.Release();
        var tickets = await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.All(tickets, t => Assert.True(t.IsAcquired));
        Assert.Equal(1, _harness.Calls);
    }

    [Fact]
    public async Task CompletingGivesBackTheTokensReservedBeyondActualUse()
    {
        var silo = _harness.Silo("a");
        var limits = new DeploymentLimits(null, 1_000, null);

        // Need 600: granted 600 + half of the 400 left = 800, so 200 spare.
        var ticket = await silo.AcquireAsync(Deployment, limits, 600, default);
        Assert.Equal(600, ticket.ReservedTokens);
        ticket.Complete(100);

        var fits = Synchronous.Ticket(silo.AcquireAsync(Deployment, limits, 700, default), "200 spare + 500 given back = 700 tokens in the pool.");
        Assert.True(fits.IsAcquired);
        _harness.Hold();
        var oneMore = silo.AcquireAsync(Deployment, limits, 1, default);
        Assert.False(oneMore.IsCompleted, "Not one token more without the grain.");
        _harness.Release();
        (await oneMore).Complete(0);
        fits.Complete(700);

        // Reported at the renewal a second later: 800 used, and one second of refill (16 2/3 tokens) since the first 100.
        await _harness.AdvanceAsync(_harness.Options.RenewInterval);
        Assert.Equal(1_000 - 800 + 1_000 / 60, _harness.Report(Deployment).TokensAvailable);
    }

    [Fact]
    public async Task RequestsPerMinuteHoldAcrossSilosAndAcrossLeasesDroppedWhenIdle()
    {
        var silos = new[] { _harness.Silo("a"), _harness.Silo("b") };
        var limits = new DeploymentLimits(30, null, null);

        Assert.Equal(30, await StartAsync(100));

        // Both silos drop their leases while idle; 20 s of refill is 10 requests, for new leases as for old ones.
        await _harness.AdvanceAsync(TimeSpan.FromSeconds(20));
        Assert.Empty(_harness.Report(Deployment).Leases);
        Assert.Equal(10, await StartAsync(100));

        async Task<int> StartAsync(int attempts)
        {
            var started = 0;
            for (var i = 0; i < attempts; i++)
            {
                using var ticket = await silos[i % 2].AcquireAsync(Deployment, limits, 0, default);
                started += ticket.IsAcquired ? 1 : 0;
            }

            return started;
        }
    }

    [Fact]
    public async Task ACancelledAttemptGivesBackItsRequestSoOnlyStartedRequestsCount()
    {
        var silo = _harness.Silo("a");
        var limits = new DeploymentLimits(2, null, null);
        for (var i = 0; i < 5; i++)
        {
            var attempt = await silo.AcquireAsync(Deployment, limits, 0, default);
            Assert.True(attempt.IsAcquired, $"Cancelled attempt {i} must not use up the minute's requests.");
            attempt.Cancel();
        }

        var first = await silo.AcquireAsync(Deployment, limits, 0, default);
        var second = await silo.AcquireAsync(Deployment, limits, 0, default);
        var third = await silo.AcquireAsync(Deployment, limits, 0, default);

        Assert.True(first.IsAcquired && second.IsAcquired);
        Assert.False(third.IsAcquired);
        Assert.Equal(CapacityRefusal.Requests, third.Refusal);
        Assert.Equal(TimeSpan.FromSeconds(30), third.RetryAfter); // 2 a minute: one every 30 s
    }

    [Fact]
    public async Task ATicketReleasesItsSlotOnceWhicheverWayItEnds()
    {
        var silo = _harness.Silo("a");
        var limits = new DeploymentLimits(null, null, 1);
        var ticket = await silo.AcquireAsync(Deployment, limits, 0, default);

        ticket.Complete(0);
        ticket.Dispose();
        ticket.Cancel();

        Assert.Equal(new DeploymentLoad(0, 1, false), silo.GetLoad(Deployment));
        using var again = await silo.AcquireAsync(Deployment, limits, 0, default);
        Assert.True(again.IsAcquired);
        Assert.False((await silo.AcquireAsync(Deployment, limits, 0, default)).IsAcquired, "One slot was freed once, not three times.");
    }

    [Fact]
    public async Task DisposingAnUncompletedTicketChargesItsWorstCase()
    {
        var silo = _harness.Silo("a");
        var limits = new DeploymentLimits(null, 1_000, 1);
        using (var ticket = await silo.AcquireAsync(Deployment, limits, 300, default))
        {
            Assert.True(ticket.IsAcquired);
        }

        Assert.Equal(new DeploymentLoad(0, 1, false), silo.GetLoad(Deployment));
        await _harness.AdvanceAsync(_harness.Options.RenewInterval);
        Assert.Equal(700, _harness.Report(Deployment).TokensAvailable);
    }

    [Fact]
    public async Task IdleSpareIsGivenBackSoAnotherSiloCanTakeIt()
    {
        var a = _harness.Silo("a");
        var b = _harness.Silo("b");
        var limits = new DeploymentLimits(null, null, 2);
        var held = new[] { await a.AcquireAsync(Deployment, limits, 0, default), await a.AcquireAsync(Deployment, limits, 0, default) };
        Assert.All(held, t => Assert.True(t.IsAcquired));
        foreach (var ticket in held)
        {
            ticket.Complete(0);
        }

        await _harness.AdvanceAsync(_harness.Options.IdleReturn - TimeSpan.FromTicks(1));
        Assert.Equal(2, a.GetLoad(Deployment).SpareSlots);
        await _harness.AdvanceAsync(TimeSpan.FromTicks(1));

        Assert.Equal(0, a.GetLoad(Deployment).SpareSlots);
        Assert.Equal(0, _harness.Report(Deployment).SlotsLeased);
        Assert.True((await b.AcquireAsync(Deployment, limits, 0, default)).IsAcquired);
        Assert.True((await b.AcquireAsync(Deployment, limits, 0, default)).IsAcquired);
    }

    [Fact]
    public async Task SpareIsGivenBackWithinARenewIntervalWhenAnotherSiloIsShort()
    {
        var a = _harness.Silo("a");
        var b = _harness.Silo("b");
        var limits = new DeploymentLimits(null, null, 4);
        var tickets = new List<CapacityTicket>();
        for (var i = 0; i < 4; i++)
        {
            tickets.Add(await a.AcquireAsync(Deployment, limits, 0, default));
        }

        Assert.All(tickets, t => Assert.True(t.IsAcquired));
        tickets[0].Complete(0);
        tickets[1].Complete(0);
        var refused = await b.AcquireAsync(Deployment, limits, 0, default);
        Assert.False(refused.IsAcquired);
        Assert.Equal(CapacityRefusal.Concurrency, refused.Refusal);
        Assert.Equal(_harness.Options.BusyRetryAfter, refused.RetryAfter);

        // Less than the idle time: only the grain's request makes a give back its two spare slots.
        await _harness.AdvanceAsync(_harness.Options.RenewInterval);

        Assert.Equal(new DeploymentLoad(2, 0, false), a.GetLoad(Deployment));
        Assert.True((await b.AcquireAsync(Deployment, limits, 0, default)).IsAcquired);
        Assert.True((await b.AcquireAsync(Deployment, limits, 0, default)).IsAcquired);
        Assert.False((await b.AcquireAsync(Deployment, limits, 0, default)).IsAcquired);
    }

    [Fact]
    public async Task AFloodOnAFullDeploymentCostsOneGrainCallNotOnePerRequest()
    {
        var silo = _harness.Silo("a");
        var limits = new DeploymentLimits(null, null, 1);
        Assert.True((await silo.AcquireAsync(Deployment, limits, 0, default)).IsAcquired);

        var refusals = new List<CapacityTicket>();
        for (var i = 0; i < 100; i++)
        {
            refusals.Add(await silo.AcquireAsync(Deployment, limits, 0, default));
        }

        Assert.All(refusals, r => Assert.False(r.IsAcquired));
        Assert.All(refusals, r => Assert.Equal(_harness.Options.BusyRetryAfter, r.RetryAfter)); // the clock did not move
        Assert.Equal(2, _harness.Calls);
        Assert.True(silo.GetLoad(Deployment).LooksFull);
    }

    [Fact]
    public async Task AnUnreachableGrainMeansRefusalNotAdmissionBlind()
    {
        var silo = _harness.Silo("a");
        _harness.SetReachable("a", false);

        var ticket = await silo.AcquireAsync(Deployment, new DeploymentLimits(100, null, null), 0, default);

        Assert.False(ticket.IsAcquired);
        Assert.Equal(CapacityRefusal.Unavailable, ticket.Refusal);
        Assert.Equal(_harness.Options.BusyRetryAfter, ticket.RetryAfter);
    }

    [Fact]
    public async Task SpareIsNotDrawnOnOnceTheGrainMayHaveExpiredTheLease()
    {
        // Long enough that the spare is not given back for being idle meanwhile.
        _harness.Options.IdleReturn = TimeSpan.FromMinutes(1);
        var silo = _harness.Silo("a");
        var limits = new DeploymentLimits(null, null, 10);
        Assert.True((await silo.AcquireAsync(Deployment, limits, 0, default)).IsAcquired);
        Assert.Equal(4, silo.GetLoad(Deployment).SpareSlots);
        _harness.SetReachable("a", false);

        await _harness.AdvanceAsync(_harness.Options.LeaseTimeToLive / 2);
        var refused = Synchronous.Ticket(silo.AcquireAsync(Deployment, limits, 0, default), "Refused from memory, without a call.");

        Assert.False(refused.IsAcquired, "Renewals failed for half the time-to-live: the spare is not used.");
        Assert.Equal(CapacityRefusal.Unavailable, refused.Refusal);

        _harness.SetReachable("a", true);
        await _harness.AdvanceAsync(_harness.Options.RenewInterval);
        Assert.True(Synchronous.Ticket(silo.AcquireAsync(Deployment, limits, 0, default), "Renewed: the spare is usable again.").IsAcquired);
    }

    [Fact]
    public async Task AnExpiredLeaseDropsItsSpareAndClaimsItsRunningRequestsAnew()
    {
        var a = _harness.Silo("a");
        var b = _harness.Silo("b");
        var limits = new DeploymentLimits(null, null, 10);
        var running = new[] { await a.AcquireAsync(Deployment, limits, 0, default), await a.AcquireAsync(Deployment, limits, 0, default) };
        Assert.All(running, t => Assert.True(t.IsAcquired));
        _harness.SetReachable("a", false);

        await _harness.AdvanceAsync(_harness.Options.LeaseTimeToLive + _harness.Options.RenewInterval);
        Assert.True((await b.AcquireAsync(Deployment, limits, 0, default)).IsAcquired, "b's call expires a's lease.");
        Assert.DoesNotContain(_harness.Report(Deployment).Leases, l => l.Silo == "a");

        _harness.SetReachable("a", true);
        await _harness.AdvanceAsync(_harness.Options.RenewInterval);

        var lease = Assert.Single(_harness.Report(Deployment).Leases, l => l.Silo == "a");
        Assert.Equal(new CapacityAmount(2, 0, 0), lease.Held);
        Assert.Equal(2, lease.InFlight);
        Assert.Equal(new DeploymentLoad(2, 0, false), a.GetLoad(Deployment));
    }

    [Fact]
    public async Task ConcurrencyNeverExceedsTheLimitAcrossSilosUnderContention()
    {
        const int Limit = 5;
        var silos = new[] { _harness.Silo("a"), _harness.Silo("b"), _harness.Silo("c") };
        var limits = new DeploymentLimits(null, null, Limit);
        var running = 0;
        var most = 0;
        var acquired = 0;

        var workers = Enumerable.Range(0, 12).Select(w => Task.Run(async () =>
        {
            var silo = silos[w % silos.Length];
            for (var i = 0; i < 300; i++)
            {
                using var ticket = await silo.AcquireAsync(Deployment, limits, 0, default);
                if (ticket.IsAcquired)
                {
                    Interlocked.Increment(ref acquired);
                    var now = Interlocked.Increment(ref running);
                    InterlockedMax(ref most, now);
                    await Task.Yield();
                    Interlocked.Decrement(ref running);
                }
                else if (w == 0)
                {
                    // One worker moves time, so refusals expire, renewals and give-backs run; like real time, it lets the
                    // calls it starts finish (leases are renewed, never expired by a clock racing ahead of them).
                    await _harness.AdvanceAsync(TimeSpan.FromMilliseconds(250));
                }
                else
                {
                    await Task.Yield();
                }
            }
        })).ToList();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(most <= Limit, $"At one instant {most} requests ran on a deployment limited to {Limit}.");
        Assert.True(acquired > Limit, $"Only {acquired} acquisitions succeeded: the test exercised little.");
        await _harness.WhenCallsDoneAsync();
        await _harness.AdvanceAsync(_harness.Options.IdleReturn + _harness.Options.RenewInterval);
        Assert.Equal(0, _harness.Report(Deployment).SlotsLeased);

        static void InterlockedMax(ref int target, int value)
        {
            var seen = Volatile.Read(ref target);
            while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var actual && actual != seen)
            {
                seen = actual;
            }
        }
    }
}
