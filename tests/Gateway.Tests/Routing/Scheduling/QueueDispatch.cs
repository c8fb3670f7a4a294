using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>
/// Drives a saturated deployment's queues on several silos one completion at a time, recording whose waiting request
/// is served next and checking the cluster-wide concurrency at every step.
/// </summary>
internal static class QueueDispatch
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>Takes <paramref name="count"/> slots on <paramref name="silo"/>.</summary>
    public static async Task<List<CapacityTicket>> FillAsync(DeploymentCapacity silo, string deployment, DeploymentLimits limits, long cost, int count)
    {
        var tickets = new List<CapacityTicket>();
        for (var i = 0; i < count; i++)
        {
            var ticket = await silo.AcquireAsync(deployment, limits, cost, default);
            Assert.True(ticket.IsAcquired);
            tickets.Add(ticket);
        }

        return tickets;
    }

    /// <summary>
    /// Lets both silos hear of each other's queue before the test moves on: the calls and long polls that follow the
    /// first requests waiting run on the thread pool, and the test's completions would otherwise outrun them.
    /// </summary>
    public static async Task SettleAsync(string deployment, DeploymentCapacity a, DeploymentCapacity b, Func<Task> whenCallsDone)
    {
        await Eventually.HoldsAsync(
            () => Task.FromResult(a.QueueBar(deployment) is not null && b.QueueBar(deployment) is not null),
            "each silo knows the other's queue head");
        await whenCallsDone();
    }

    /// <summary>
    /// Completes the oldest running request and waits for the next waiting one to be served, <paramref name="count"/>
    /// times; checks at each step that the silos together never run more than <paramref name="limit"/>. Returns whose
    /// requests were served, in order.
    /// </summary>
    public static async Task<List<string>> DispatchAsync(
        string deployment,
        long cost,
        Queue<CapacityTicket> running,
        List<(string Tenant, Task<CapacityTicket> Wait)> waits,
        int count,
        DeploymentCapacity[] silos,
        int limit)
    {
        var served = new List<string>();
        for (var i = 0; i < count; i++)
        {
            running.Dequeue().Complete(cost);
            var next = await Task.WhenAny(waits.Select(w => w.Wait)).WaitAsync(Patience);
            var waiter = waits.Single(w => w.Wait == next);
            waits.Remove(waiter);
            var ticket = await next;
            Assert.True(ticket.IsAcquired && ticket.WasQueued, $"Step {i}: {waiter.Tenant} was refused ({ticket.Refusal}).");
            served.Add(waiter.Tenant);
            running.Enqueue(ticket);
            Assert.InRange(silos.Sum(s => s.GetLoad(deployment).InFlight), 0, limit);
        }

        return served;
    }
}
