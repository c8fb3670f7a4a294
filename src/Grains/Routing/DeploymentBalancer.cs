
using Gateway.Catalog.Models;

namespace Gateway.Grains.Routing;

/// <summary>Picks one of a model's usable deployments: by weight, or by least latency with the power of two choices.</summary>
internal static class DeploymentBalancer
{
    /// <summary>Random in proportion to the weights.</summary>
    public static Deployment PickWeighted(IReadOnlyList<Deployment> candidates, Random random)
    {
        var total = 0L;
        foreach (var candidate in candidates)
        {
            total += candidate.Weight;
        }

        var ticket = random.NextInt64(total);
        foreach (var candidate in candidates)
        {
            ticket -= candidate.Weight;
            if (ticket < 0)
            {
                return candidate;
            }
        }

        return candidates[^1];
    }

    /// <summary>
    /// Power of two choices (as Finagle, Linkerd and brpc balance): two distinct candidates at random, the one with the
    /// lower latency times requests in flight wins. A deployment without a measurement yet is tried first, so each gets one.
    /// </summary>
    public static Deployment PickLeastLatency(IReadOnlyList<Deployment> candidates, Func<string, DeploymentState> states, Random random)
    {
        if (candidates.Count == 1)
        {
            return candidates[0];
        }

        var unmeasured = candidates.Where(c => states(c.Id).LatencyMs is null).ToList();
        if (unmeasured.Count > 0)
        {
            return unmeasured[random.Next(unmeasured.Count)];
        }

        var first = random.Next(candidates.Count);
        var second = random.Next(candidates.Count - 1);
        if (second >= first)
        {
            second++;
        }

        var a = candidates[first];
        var b = candidates[second];
        return states(a.Id).Load <= states(b.Id).Load ? a : b;
    }
}
