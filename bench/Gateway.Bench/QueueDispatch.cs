using System.Diagnostics;
using System.Globalization;
using Gateway.Catalog;
using Gateway.Grains;
using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Gateway.Bench;

/// <summary>
/// <c>queue</c>: how many requests a saturated deployment dispatches per second from its fair queue (issue 12 asks for at
/// least 10,000), through the gateway's own dispatch path: <see cref="DeploymentCapacity"/> on each of <c>--silos</c>
/// in-process silos (Orleans' test cluster, real grains: the deployment's capacity grain leases the slots and, with two
/// silos, orders the queues across them), a deployment of <c>--slots</c> concurrent requests, and <c>--waiters</c>
/// closed loops (spread over the first <c>--waiting-silos</c> silos, by default all, and over <c>--tenants</c> tenants of the weights 8, 4, 2, 1 in turn) that each do
/// what the upstream caller does: take capacity, else wait in the queue, "call" the upstream (<c>--latency-ms</c>, 0: a
/// yield) and complete the ticket, which hands the slot to the next in the queue.
/// </summary>
/// <remarks>
/// Covers the queue, the lease, the fair order and the hand-over of a freed slot, with the grain calls the cluster makes
/// for them; not HTTP, admission by the tenant grain, or a provider call (the embedded gateway's throughput with the
/// queue on is the <c>--quick</c> run). Prints <c>RESULT mode=queue ... dispatched_per_s=X queued_pct=Q
/// max_in_flight=M</c>: the dispatches counted are those that waited in the queue, so a run whose slots are not all in
/// use is not saturated and says so (queued_pct well under 100). max_in_flight above the slots would be a broken limit.
/// </remarks>
internal static class QueueDispatch
{
    private const string Deployment = "bench-queue#0";
    private const long Cost = 100;
    private static readonly int[] Weights = [8, 4, 2, 1];

    public static async Task<int> RunAsync(Program.Options o)
    {
        var silos = int.Parse(o.Get("silos", "1"), CultureInfo.InvariantCulture);
        var waitingSilos = int.Parse(o.Get("waiting-silos", o.Get("silos", "1")), CultureInfo.InvariantCulture);
        var slots = int.Parse(o.Get("slots", "32"), CultureInfo.InvariantCulture);
        var waiters = int.Parse(o.Get("waiters", "512"), CultureInfo.InvariantCulture);
        var tenants = int.Parse(o.Get("tenants", "8"), CultureInfo.InvariantCulture);
        var latency = TimeSpan.FromMilliseconds(int.Parse(o.Get("latency-ms", "0"), CultureInfo.InvariantCulture));
        var duration = TimeSpan.FromSeconds(double.Parse(o.Get("duration", "10"), CultureInfo.InvariantCulture));
        var warmup = TimeSpan.FromSeconds(double.Parse(o.Get("warmup", "3"), CultureInfo.InvariantCulture));

        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
            silo.AddGatewayGrains();
            silo.Services.AddKeyedSingleton(GatewayClock.Key, TimeProvider.System);
        });
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        var limits = new DeploymentLimits(null, null, slots);
        var capacity = cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<DeploymentCapacity>()).ToArray();
        var counts = new Counts(tenants);
        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, waiters)
            .Select(i => Task.Run(() => LoopAsync(capacity[i % waitingSilos], limits, i % tenants, latency, counts, stop.Token)))
            .ToList();

        await Task.Delay(warmup);
        var before = counts.Snapshot();
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        var after = counts.Snapshot();
        var elapsed = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        var dispatched = after.Dispatched - before.Dispatched;
        var queued = after.Queued - before.Queued;
        var served = Enumerable.Range(0, tenants).Select(t => after.ByTenant[t] - before.ByTenant[t]).ToArray();
        var byWeight = Weights.Select(w => served.Where((_, t) => Weights[t % Weights.Length] == w).Sum()).ToArray();
        var shares = string.Join('/', byWeight.Select(n => (100.0 * n / Math.Max(1, dispatched)).ToString("F1", CultureInfo.InvariantCulture)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT mode=queue silos={silos} waiting_silos={waitingSilos} slots={slots} waiters={waiters} tenants={tenants} latency_ms={latency.TotalMilliseconds} seconds={elapsed:F1} dispatched_per_s={queued / elapsed:F0} all_per_s={dispatched / elapsed:F0} queued_pct={100.0 * queued / Math.Max(1, dispatched):F1} max_in_flight={counts.MaxInFlight} refused={after.Refused - before.Refused} weight_shares_8_4_2_1={shares}"));
        return 0;
    }

    /// <summary>One closed loop, as the upstream caller does it: the fast path, else the queue; then the "call" and the completion.</summary>
    private static async Task LoopAsync(DeploymentCapacity capacity, DeploymentLimits limits, int tenant, TimeSpan latency, Counts counts, CancellationToken stop)
    {
        var name = "t" + tenant.ToString(CultureInfo.InvariantCulture);
        var weight = Weights[tenant % Weights.Length];
        while (!stop.IsCancellationRequested)
        {
            var ticket = await capacity.AcquireAsync(Deployment, limits, Cost, CancellationToken.None);
            if (!ticket.IsAcquired)
            {
                ticket.Dispose();
                ticket = await capacity.WaitAsync(Deployment, limits, Cost, name, weight, CancellationToken.None);
            }

            using (ticket)
            {
                if (!ticket.IsAcquired)
                {
                    counts.Refuse();
                    await Task.Delay(ticket.RetryAfter, CancellationToken.None);
                    continue;
                }

                counts.Enter();
                if (latency > TimeSpan.Zero)
                {
                    await Task.Delay(latency, CancellationToken.None);
                }
                else
                {
                    await Task.Yield();
                }

                counts.Leave(tenant, ticket.WasQueued);
                ticket.Complete(Cost);
            }
        }
    }

    /// <summary>What the loops did, shared: dispatches (and of those, from the queue), per tenant, refusals, the most in flight at once.</summary>
    private sealed class Counts(int tenants)
    {
        private readonly long[] _byTenant = new long[tenants];
        private long _dispatched;
        private long _queued;
        private long _refused;
        private long _inFlight;
        private long _maxInFlight;

        public long MaxInFlight => Interlocked.Read(ref _maxInFlight);

        public void Enter()
        {
            var now = Interlocked.Increment(ref _inFlight);
            for (var max = Interlocked.Read(ref _maxInFlight); now > max; max = Interlocked.Read(ref _maxInFlight))
            {
                Interlocked.CompareExchange(ref _maxInFlight, now, max);
            }
        }

        /// <summary>Before the ticket is completed, so that the next request cannot be counted in flight beside this one.</summary>
        public void Leave(int tenant, bool queued)
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _dispatched);
            Interlocked.Increment(ref _byTenant[tenant]);
            if (queued)
            {
                Interlocked.Increment(ref _queued);
            }
        }

        public void Refuse() => Interlocked.Increment(ref _refused);

        public (long Dispatched, long Queued, long Refused, long[] ByTenant) Snapshot() =>
            (Interlocked.Read(ref _dispatched), Interlocked.Read(ref _queued), Interlocked.Read(ref _refused), [.. Enumerable.Range(0, _byTenant.Length).Select(i => Interlocked.Read(ref _byTenant[i]))]);
    }
}
