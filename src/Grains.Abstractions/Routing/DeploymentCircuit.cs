namespace Gateway.Grains.Abstractions.Routing;

/// <summary>A deployment's circuit breaker as one silo sees it. Numbers are part of the wire contract: never renumber, only add.</summary>
[GenerateSerializer, Alias("gw.DeploymentCircuit")]
public enum DeploymentCircuit
{
    /// <summary>Calls go through.</summary>
    Closed = 0,

    /// <summary>Too many calls failed: none go through until the break is over.</summary>
    Open = 1,

    /// <summary>The break is over and a probe is on its way: it closes the circuit when it succeeds, opens it again when not.</summary>
    HalfOpen = 2,

    /// <summary>Held open by hand.</summary>
    Isolated = 3,
}
