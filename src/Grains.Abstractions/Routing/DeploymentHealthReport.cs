namespace Gateway.Grains.Abstractions.Routing;

/// <summary>
/// One silo's view of one deployment's health, as its balancing sees it when the report is made. Times are the
/// reporting silo's gateway clock.
/// </summary>
/// <param name="Silo">The silo whose view this is.</param>
/// <param name="Circuit">The deployment's circuit breaker on that silo.</param>
/// <param name="BreakUntil">While <see cref="Circuit"/> is open: when the break ends and the next call may probe.</param>
/// <param name="InFlight">Calls running on that silo on the deployment.</param>
/// <param name="LatencyMs">Time to first byte, smoothed (EWMA); null before the first measurement.</param>
/// <param name="RecentCalls">Calls that ended within the last 30 seconds.</param>
/// <param name="RecentFailures">Those of <see cref="RecentCalls"/> that count against the deployment (not a 429, not the client's fault).</param>
/// <param name="CoolUntil">After a 429: no call goes to the deployment from that silo before this time; null when not cooling down.</param>
/// <param name="At">When the report was made.</param>
[GenerateSerializer, Immutable, Alias("gw.DeploymentHealthReport")]
public sealed record DeploymentHealthReport(
    [property: Id(0)] string Silo,
    [property: Id(1)] DeploymentCircuit Circuit,
    [property: Id(2)] DateTimeOffset? BreakUntil,
    [property: Id(3)] int InFlight,
    [property: Id(4)] double? LatencyMs,
    [property: Id(5)] int RecentCalls,
    [property: Id(6)] int RecentFailures,
    [property: Id(7)] DateTimeOffset? CoolUntil,
    [property: Id(8)] DateTimeOffset At);
