using CsCheck;
using Gateway.Grains.Routing.Scheduling;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>
/// The fair queue under generated runs of arrivals, dispatches, completions, cancellations and timeouts: the service two
/// waiting tenants get stays within start-time fair queuing's bound, and the queue's bookkeeping stays whole.
/// </summary>
public sealed class FairQueuePropertyTests
{
    // Tenants' weights, then steps: (tenant, cost, what happens), with 0 and 1 an arrival, 2 and 3 a dispatch.
    private static readonly Gen<(int[] Weights, (int Tenant, int Cost, int Kind)[] Steps)> Runs =
        Gen.Int[2, 6].SelectMany(tenants => Gen.Select(
            Gen.Int[1, 8].Array[tenants],
            Gen.Select(Gen.Int[0, tenants - 1], Gen.Int[1, 8_000], Gen.Int[0, 3]).Array[20, 800]));

    /// <summary>
    /// Goyal, Vin and Cheng (SIGCOMM 1996): over any interval in which tenants f and m both have requests waiting, the
    /// service they get, each divided by its weight, differs by at most the largest request of each divided by its weight.
    /// </summary>
    [Fact]
    public void ServiceOfTwoWaitingTenantsStaysWithinTheStartTimeFairQueuingBound() =>
        Runs.Sample(run =>
        {
            var (weights, steps) = run;
            var n = weights.Length;
            var queue = new FairQueue(new FairQueueOptions { MaxQueuedPerTenant = 10_000, MaxQueuedPerDeployment = 100_000 }, TimeProvider.System);
            var served = new long[n];
            var largest = new long[n];
            var since = new (long F, long M)?[n, n];
            foreach (var (tenant, cost, kind) in steps)
            {
                if (kind < 2)
                {
                    largest[tenant] = Math.Max(largest[tenant], cost);
                    var starts = queue.QueuedBy(Name(tenant)) == 0;
                    queue.Enqueue(new FairQueueEntry(Name(tenant), weights[tenant], cost), 0);
                    for (var other = 0; starts && other < n; other++)
                    {
                        if (other != tenant && queue.QueuedBy(Name(other)) > 0)
                        {
                            since[tenant, other] = (served[tenant], served[other]);
                            since[other, tenant] = (served[other], served[tenant]);
                        }
                    }

                    continue;
                }

                if (queue.Peek() is null)
                {
                    continue;
                }

                var entry = queue.Take();
                var f = int.Parse(entry.Tenant[1..], System.Globalization.CultureInfo.InvariantCulture);
                served[f] += entry.Cost;
                queue.Complete(entry, entry.Cost);
                for (var m = 0; m < n; m++)
                {
                    if (since[f, m] is not { } start)
                    {
                        continue;
                    }

                    // In units of a token at weight 840 (every weight of 1 to 8 divides it): exact integers.
                    var gap = Math.Abs((served[f] - start.F) * 840 / weights[f] - (served[m] - start.M) * 840 / weights[m]);
                    var bound = largest[f] * 840 / weights[f] + largest[m] * 840 / weights[m];
                    if (gap > bound)
                    {
                        throw new InvalidOperationException($"Tenants {f} (weight {weights[f]}) and {m} (weight {weights[m]}) are {gap} apart, bound {bound}.");
                    }

                    if (queue.QueuedBy(entry.Tenant) == 0)
                    {
                        since[f, m] = since[m, f] = null;
                    }
                }
            }
        }, iter: 300);

    /// <summary>
    /// Whatever happens, the queue counts what waits and runs exactly, names a request whenever one waits (it never idles
    /// capacity while anyone waits), takes each tenant's requests in the order they came, times requests out in the
    /// order they joined and exactly at their deadline, and forgets every tenant once nothing waits or runs.
    /// </summary>
    [Fact]
    public void TheQueueKeepsItsBookkeepingWholeUnderAnyRun() =>
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 5_000], Gen.Int[0, 7], Gen.Int[0, 4_000]).Array[1, 400].Sample(steps =>
        {
            var clock = new FakeTimeProvider(ClusterFixture.Start);
            var options = new FairQueueOptions { QueueTimeout = TimeSpan.FromSeconds(5), MaxQueuedPerTenant = 30, MaxQueuedPerDeployment = 100 };
            var queue = new FairQueue(options, clock);
            var waiting = new List<FairQueueEntry>();
            var running = new List<FairQueueEntry>();
            foreach (var (tenant, cost, kind, pick) in steps)
            {
                var now = clock.GetTimestamp();
                switch (kind)
                {
                    case 0 or 1 or 2:
                        var entry = new FairQueueEntry($"t{tenant}", tenant + 1, cost);
                        var result = queue.Enqueue(entry, now);
                        var tenantFull = waiting.Count(e => e.Tenant == entry.Tenant) >= options.MaxQueuedPerTenant;
                        var expected = tenantFull ? FairQueueOutcome.TenantFull
                            : waiting.Count >= options.MaxQueuedPerDeployment ? FairQueueOutcome.DeploymentFull
                            : FairQueueOutcome.Queued;
                        Check(result.Outcome == expected, $"enqueue gave {result.Outcome}, expected {expected}");
                        if (result.IsQueued)
                        {
                            waiting.Add(entry);
                        }
                        else
                        {
                            Check(result.RetryAfter > TimeSpan.Zero && result.RetryAfter <= options.QueueTimeout, $"retry after {result.RetryAfter}");
                        }

                        break;
                    case 3 when waiting.Count > 0:
                        var taken = queue.Take();
                        Check(ReferenceEquals(taken, waiting.First(e => e.Tenant == taken.Tenant)), "a tenant's requests left out of order");
                        waiting.Remove(taken);
                        running.Add(taken);
                        break;
                    case 4 when running.Count > 0:
                        var done = running[pick % running.Count];
                        running.Remove(done);
                        queue.Complete(done, pick);
                        Check(done.State == FairQueueEntryState.Completed, "completed");
                        break;
                    case 5 when waiting.Count > 0:
                        var cancelled = waiting[pick % waiting.Count];
                        waiting.Remove(cancelled);
                        Check(queue.Remove(cancelled) && !queue.Remove(cancelled), "a waiting request is removed once");
                        break;
                    case 6:
                        clock.Advance(TimeSpan.FromMilliseconds(pick * 2));
                        now = clock.GetTimestamp();
                        while (queue.TakeExpired(now) is { } expired)
                        {
                            Check(ReferenceEquals(expired, waiting[0]) && expired.Deadline <= now, "timed out out of order or early");
                            Check(expired.State == FairQueueEntryState.Expired, "expired");
                            waiting.RemoveAt(0);
                        }

                        Check(waiting.Count == 0 || waiting[0].Deadline > now, "a request past its deadline still waits");
                        break;
                }

                Check(queue.Count == waiting.Count && queue.InFlight == running.Count, $"counts {queue.Count}/{queue.InFlight}, expected {waiting.Count}/{running.Count}");
                Check((queue.Peek() is null) == (waiting.Count == 0), "a request waits but none is named to leave");
                Check(queue.NextDeadline == (waiting.Count > 0 ? waiting[0].Deadline : null), "next deadline");
                Check(waiting.Count > 0 || running.Count > 0 || queue.Tenants == 0, "an idle queue remembers tenants");
            }
        }, iter: 300);

    private static string Name(int tenant) => $"t{tenant}";

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }
}
