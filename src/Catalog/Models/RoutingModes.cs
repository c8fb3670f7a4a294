namespace Gateway.Catalog.Models;

/// <summary>The values of <c>Gateway:Models:&lt;id&gt;:Routing</c>.</summary>
public static class RoutingModes
{
    /// <summary>Random in proportion to the deployments' weights.</summary>
    public const string Weighted = "weighted";

    /// <summary>Power of two choices over time to first byte (EWMA) times requests in flight.</summary>
    public const string LeastLatency = "least-latency";
}
