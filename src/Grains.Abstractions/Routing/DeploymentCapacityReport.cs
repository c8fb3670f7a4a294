namespace Gateway.Grains.Abstractions.Routing;

/// <summary>
/// A deployment's capacity across the cluster, for operators. In-flight counts are as the silos last reported them
/// (at most a renew interval old); what is leased is exact.
/// </summary>
/// <param name="DeploymentId">The deployment.</param>
/// <param name="Limits">The limits in force (the last ones a pool sent).</param>
/// <param name="InFlight">Requests running on all silos, as reported.</param>
/// <param name="SlotsLeased">Concurrency slots held by silos, in use or spare; never above the concurrency limit.</param>
/// <param name="RequestsAvailable">Requests-per-minute bucket level (whole requests), leased permits included.</param>
/// <param name="RequestsLeased">Request permits granted to silos and not yet reported used.</param>
/// <param name="TokensAvailable">Tokens-per-minute bucket level, leased tokens included.</param>
/// <param name="TokensLeased">Tokens granted to silos and not yet reported used (reserved by running requests or spare).</param>
/// <param name="Leases">Each silo's lease.</param>
/// <param name="At">When the report was made (the gateway clock).</param>
[GenerateSerializer, Immutable, Alias("gw.DeploymentCapacityReport")]
public sealed record DeploymentCapacityReport(
    [property: Id(0)] string DeploymentId,
    [property: Id(1)] DeploymentLimits Limits,
    [property: Id(2)] int InFlight,
    [property: Id(3)] int SlotsLeased,
    [property: Id(4)] long? RequestsAvailable,
    [property: Id(5)] long RequestsLeased,
    [property: Id(6)] long? TokensAvailable,
    [property: Id(7)] long TokensLeased,
    [property: Id(8)] IReadOnlyList<LeaseReport> Leases,
    [property: Id(9)] DateTimeOffset At);
