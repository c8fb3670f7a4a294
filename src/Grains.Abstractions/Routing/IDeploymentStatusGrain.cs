namespace Gateway.Grains.Abstractions.Routing;

/// <summary>
/// The latest health report of every silo that uses one deployment, for operators (<c>GET /admin/deployments</c>). Health
/// (circuit, latency, errors, cooldown) lives in each silo's memory, where balancing reads it without a call; each silo
/// pushes its view here every second, so a frontend that is only an Orleans client can show it too. Keyed by deployment
/// id (<c>gpt-4.1#0</c>). In memory only: a lost activation is filled again by the next round of reports.
/// </summary>
[Alias("gw.IDeploymentStatusGrain")]
public interface IDeploymentStatusGrain : IGrainWithStringKey
{
    /// <summary>
    /// Keeps <paramref name="report"/> as its silo's latest (an older report arriving late is ignored). Short bound: a
    /// silo's next round is a second away, and a call to a dead silo must not hold the round up for Orleans' default 30 s.
    /// </summary>
    [Alias("ReportAsync"), ResponseTimeout("00:00:05")]
    Task ReportAsync(DeploymentHealthReport report);

    /// <summary>The latest report of each silo heard from within the last 10 seconds, ordered by silo.</summary>
    [Alias("GetReportsAsync"), ResponseTimeout("00:00:05")]
    Task<IReadOnlyList<DeploymentHealthReport>> GetReportsAsync();
}
