using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Routing;
using Gateway.Grains.Upstream;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Routing;

/// <summary>
/// Balancing decisions and the figures they rest on (<see cref="DeploymentBalancer"/>, <see cref="DeploymentState"/>), on a
/// fake clock: latencies are what the test says they are, and time passes only when the test moves it.
/// </summary>
public sealed class DeploymentBalancerTests
{
    private readonly FakeTimeProvider _clock = new(ClusterFixture.Start);
    private readonly Dictionary<string, DeploymentState> _states = new(StringComparer.Ordinal);

    [Fact]
    public void WeightedPicksSplitInProportionToTheWeights()
    {
        Deployment[] deployments = [Deployment("m#0", weight: 3), Deployment("m#1", weight: 1)];
        var random = new Random(42);

        var first = Enumerable.Range(0, 100_000).Count(_ => DeploymentBalancer.PickWeighted(deployments, random).Id == "m#0");

        Assert.InRange(first / 100_000.0, 0.74, 0.76);
    }

    [Fact]
    public void LeastLatencySendsAtLeastEightyPercentToADeploymentTenTimesFaster()
    {
        Deployment[] deployments = [Deployment("m#0"), Deployment("m#1")];
        var latency = new Dictionary<string, TimeSpan> { ["m#0"] = TimeSpan.FromMilliseconds(5), ["m#1"] = TimeSpan.FromMilliseconds(50) };
        var random = new Random(7);
        var picks = new Dictionary<string, int> { ["m#0"] = 0, ["m#1"] = 0 };

        // Four requests at a time, each taking its deployment's latency: a pick sees what the others have in flight.
        var running = new List<(string Id, DateTimeOffset Until)>();
        for (var i = 0; i < 1_000; i++)
        {
            while (running.Count >= 4)
            {
                var next = running.MinBy(r => r.Until);
                if (next.Until > _clock.GetUtcNow())
                {
                    _clock.Advance(next.Until - _clock.GetUtcNow());
                }

                State(next.Id).RecordFirstByte(latency[next.Id]);
                State(next.Id).Exit();
                running.Remove(next);
            }

            var picked = DeploymentBalancer.PickLeastLatency(deployments, State, random);
            picks[picked.Id]++;
            State(picked.Id).Enter();
            running.Add((picked.Id, _clock.GetUtcNow() + latency[picked.Id]));
        }

        Assert.True(picks["m#0"] >= 800, $"The fast deployment should get at least 80%: fast {picks["m#0"]}, slow {picks["m#1"]}.");
    }

    [Fact]
    public void LeastLatencyTriesAnUnmeasuredDeploymentFirst()
    {
        Deployment[] deployments = [Deployment("m#0"), Deployment("m#1")];
        State("m#0").RecordFirstByte(TimeSpan.FromMilliseconds(1));

        Assert.All(Enumerable.Range(0, 50), i => Assert.Equal("m#1", DeploymentBalancer.PickLeastLatency(deployments, State, new Random(i)).Id));
    }

    [Fact]
    public void LeastLatencyWeighsLatencyByRequestsInFlight()
    {
        Deployment[] deployments = [Deployment("m#0"), Deployment("m#1")];
        State("m#0").RecordFirstByte(TimeSpan.FromMilliseconds(5));
        State("m#1").RecordFirstByte(TimeSpan.FromMilliseconds(50));
        for (var i = 0; i < 10; i++)
        {
            State("m#0").Enter();
        }

        // 5 ms behind 10 running (55) costs more than 50 ms with nothing running.
        Assert.Equal("m#1", DeploymentBalancer.PickLeastLatency(deployments, State, new Random(1)).Id);
        State("m#0").Exit();
        State("m#0").Exit();
        Assert.Equal("m#0", DeploymentBalancer.PickLeastLatency(deployments, State, new Random(1)).Id);
    }

    [Fact]
    public void TheLatencyAverageMovesHalfwayToANewMeasurementAfterTenSeconds()
    {
        var state = State("m#0");
        state.RecordFirstByte(TimeSpan.FromMilliseconds(100));
        _clock.Advance(TimeSpan.FromSeconds(10));

        state.RecordFirstByte(TimeSpan.Zero);

        Assert.Equal(50, state.LatencyMs!.Value, precision: 6);
    }

    [Fact]
    public void ADeploymentMeasuredSlowOnceIsTriedAgainAndWinsBackTrafficOnceItIsFast()
    {
        Deployment[] deployments = [Deployment("m#0"), Deployment("m#1")];
        State("m#1").RecordFirstByte(TimeSpan.FromMilliseconds(500));
        State("m#0").RecordFirstByte(TimeSpan.FromMilliseconds(5));

        // One request every 100 ms for three minutes, and m#1 is as fast as m#0 now: only a new measurement can tell.
        var toRecovered = Simulate(deployments, TimeSpan.FromMinutes(3), _ => TimeSpan.FromMilliseconds(5));

        Assert.True(toRecovered[0] + toRecovered[1] >= 1, "A deployment measured slow once should be measured again within two minutes rather than shunned for good.");
        Assert.True(toRecovered[^1] >= 120, $"Once measured fast again it should share the traffic: per minute {string.Join(", ", toRecovered)} of 600.");
    }

    [Fact]
    public void ADeploymentThatStaysSlowIsOnlyProbedNowAndThen()
    {
        Deployment[] deployments = [Deployment("m#0"), Deployment("m#1")];
        State("m#1").RecordFirstByte(TimeSpan.FromMilliseconds(50));
        State("m#0").RecordFirstByte(TimeSpan.FromMilliseconds(5));

        var toSlow = Simulate(deployments, TimeSpan.FromMinutes(3), id => TimeSpan.FromMilliseconds(id == "m#1" ? 50 : 5)).Sum();

        Assert.InRange(toSlow, 1, 10);
    }

    /// <summary>One request every 100 ms, each measured as <paramref name="latency"/> says; how many went to m#1, per minute.</summary>
    private int[] Simulate(Deployment[] deployments, TimeSpan duration, Func<string, TimeSpan> latency)
    {
        var random = new Random(3);
        var perMinute = new int[(int)Math.Ceiling(duration / TimeSpan.FromMinutes(1))];
        for (var at = TimeSpan.Zero; at < duration; at += TimeSpan.FromMilliseconds(100))
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            var picked = DeploymentBalancer.PickLeastLatency(deployments, State, random);
            perMinute[(int)(at / TimeSpan.FromMinutes(1))] += picked.Id == "m#1" ? 1 : 0;
            State(picked.Id).RecordFirstByte(latency(picked.Id));
        }

        return perMinute;
    }

    [Fact]
    public void ACooldownKeepsADeploymentUnusableUntilItsRetryAfter()
    {
        var state = State("m#0");

        state.CoolDown(TimeSpan.FromSeconds(10));

        Assert.False(state.IsUsable(_clock.GetUtcNow(), out var wait, out var coolingDown));
        Assert.Equal(TimeSpan.FromSeconds(10), wait);
        Assert.True(coolingDown, "The wait is the cooldown, not an open circuit.");
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromSeconds(10), state.Report("silo").CoolUntil);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(state.IsUsable(_clock.GetUtcNow(), out _, out _));
        Assert.Null(state.Report("silo").CoolUntil);
    }

    [Fact]
    public async Task TheReportCarriesTheBreakEndOfAnOpenCircuitAndTheRecentFailures()
    {
        var state = State("m#0");
        for (var i = 0; i < 5; i++)
        {
            await state.Breaker.ExecuteAsync(static _ => ValueTask.FromResult(AttemptResult.Failed(new UpstreamFailure(UpstreamFailureKind.ProviderError, "p", 500))));
            state.RecordOutcome(failed: true);
        }

        var report = state.Report("silo");

        Assert.Equal(DeploymentCircuit.Open, report.Circuit);
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromSeconds(5), report.BreakUntil);
        Assert.Equal((5, 5), (report.RecentCalls, report.RecentFailures));
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal((0, 0), (state.Report("silo").RecentCalls, state.Report("silo").RecentFailures));
    }

    private DeploymentState State(string id)
    {
        if (!_states.TryGetValue(id, out var state))
        {
            state = new DeploymentState(id, new UpstreamBreakerOptions(), _clock);
            _states[id] = state;
        }

        return state;
    }

    private static Deployment Deployment(string id, int weight = 1) =>
        new(id, id.Split('#')[0], "p", "m", weight, DeploymentLimits.Unlimited);
}
