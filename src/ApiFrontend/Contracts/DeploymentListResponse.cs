using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Routing;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>Every deployment of the model catalog, in catalog order, with its health and capacity (<c>GET /admin/deployments</c>).</summary>
public sealed record DeploymentListResponse(IReadOnlyList<DeploymentResponse> Data)
{
    public string Object => "list";
}

/// <summary>
/// One deployment: what the catalog says, then its health summed over the silos that use it (each silo's own view in
/// <see cref="Silos"/>), then its cluster-wide capacity.
/// </summary>
/// <param name="Id">The deployment id, <c>&lt;model&gt;#&lt;index&gt;</c>.</param>
/// <param name="Model">The catalog id of its model.</param>
/// <param name="Provider">The provider account (a key of <c>Providers</c>).</param>
/// <param name="UpstreamModel">The model's name at the provider.</param>
/// <param name="Weight">Its share of the model's traffic under weighted routing.</param>
/// <param name="Limits">Its configured capacity; null members are unlimited.</param>
/// <param name="Circuit">
/// The worst circuit over the silos: <c>closed</c>, <c>open</c> (the break lasts), <c>half-open</c> (the break is over;
/// the next call is the probe that closes or reopens it) or <c>isolated</c>. <c>closed</c> when no silo has used it.
/// </param>
/// <param name="InFlight">Calls running on it, all silos.</param>
/// <param name="LatencyMs">Time to first byte, smoothed, in milliseconds: the silos' figures weighted by their recent calls; null before a measurement.</param>
/// <param name="RecentCalls">Calls that ended within the last 30 seconds, all silos.</param>
/// <param name="RecentFailures">Those of them that count against the deployment (errors, timeouts, bad responses; not a 429).</param>
/// <param name="ErrorRatio">Failures over calls within the last 30 seconds; null without calls.</param>
/// <param name="CooldownRemainingMs">After a 429: milliseconds until some silo sends it calls again; 0 when none is cooling down.</param>
/// <param name="Capacity">Capacity in use cluster-wide, from its capacity grain; null for an unlimited deployment.</param>
/// <param name="Silos">Each silo's view, as it last reported it (a silo not heard from for 10 seconds is left out).</param>
public sealed record DeploymentResponse(
    string Id,
    string Model,
    string Provider,
    string UpstreamModel,
    int Weight,
    DeploymentLimitsResponse Limits,
    string Circuit,
    int InFlight,
    double? LatencyMs,
    int RecentCalls,
    int RecentFailures,
    double? ErrorRatio,
    long CooldownRemainingMs,
    DeploymentCapacityResponse? Capacity,
    IReadOnlyList<DeploymentSiloResponse> Silos)
{
    /// <summary>Sums the silos' reports up; <paramref name="now"/> (the gateway clock) dates the break and the cooldown.</summary>
    public static DeploymentResponse From(Deployment deployment, IReadOnlyList<DeploymentHealthReport> reports, DeploymentCapacityReport? capacity, DateTimeOffset now)
    {
        var silos = reports.Select(r => DeploymentSiloResponse.From(r, now)).ToArray();
        var calls = reports.Sum(r => r.RecentCalls);
        var failures = reports.Sum(r => r.RecentFailures);
        var measured = reports.Where(r => r.LatencyMs is not null).ToList();
        var callsMeasured = measured.Sum(r => r.RecentCalls);
        double? latency = measured.Count == 0 ? null
            : callsMeasured == 0 ? measured.Average(r => r.LatencyMs!.Value)
            : measured.Sum(r => r.LatencyMs!.Value * r.RecentCalls) / callsMeasured;
        var circuit = reports.Count == 0 ? DeploymentCircuit.Closed : reports.Select(r => Effective(r, now)).MaxBy(Severity);
        var limits = deployment.Limits;
        return new DeploymentResponse(
            deployment.Id,
            deployment.ModelId,
            deployment.Provider,
            deployment.UpstreamModel,
            deployment.Weight,
            new DeploymentLimitsResponse(limits.RequestsPerMinute, limits.TokensPerMinute, limits.MaxConcurrent),
            Name(circuit),
            reports.Sum(r => r.InFlight),
            latency,
            calls,
            failures,
            calls == 0 ? null : (double)failures / calls,
            silos.Length == 0 ? 0 : silos.Max(s => s.CooldownRemainingMs),
            capacity is null ? null : DeploymentCapacityResponse.From(capacity),
            silos);
    }

    /// <summary>An open circuit whose break is over lets the next call through as the probe: half-open, as far as callers can tell.</summary>
    internal static DeploymentCircuit Effective(DeploymentHealthReport report, DateTimeOffset now) =>
        report.Circuit == DeploymentCircuit.Open && report.BreakUntil <= now ? DeploymentCircuit.HalfOpen : report.Circuit;

    internal static string Name(DeploymentCircuit circuit) => circuit switch
    {
        DeploymentCircuit.Open => "open",
        DeploymentCircuit.HalfOpen => "half-open",
        DeploymentCircuit.Isolated => "isolated",
        _ => "closed",
    };

    private static int Severity(DeploymentCircuit circuit) => circuit switch
    {
        DeploymentCircuit.Isolated => 3,
        DeploymentCircuit.Open => 2,
        DeploymentCircuit.HalfOpen => 1,
        _ => 0,
    };

    internal static long RemainingMs(DateTimeOffset? until, DateTimeOffset now) =>
        until is { } u && u > now ? (long)Math.Ceiling((u - now).TotalMilliseconds) : 0;
}

/// <summary>A deployment's configured capacity; a null member is not limited.</summary>
public sealed record DeploymentLimitsResponse(int? RequestsPerMinute, long? TokensPerMinute, int? MaxConcurrent);

/// <summary>
/// A deployment's capacity across the cluster, as its capacity grain has it: slots and leased figures are exact; in-flight
/// is as the silos last reported it (at most a renew interval old); available figures are the per-minute buckets' levels.
/// </summary>
public sealed record DeploymentCapacityResponse(
    int InFlight,
    int SlotsLeased,
    long? RequestsAvailable,
    long RequestsLeased,
    long? TokensAvailable,
    long TokensLeased,
    int Leases)
{
    public static DeploymentCapacityResponse From(DeploymentCapacityReport report) => new(
        report.InFlight, report.SlotsLeased, report.RequestsAvailable, report.RequestsLeased, report.TokensAvailable, report.TokensLeased, report.Leases.Count);
}

/// <summary>One silo's view of a deployment, as of <see cref="ReportedAt"/> (that silo's gateway clock).</summary>
public sealed record DeploymentSiloResponse(
    string Silo,
    DateTimeOffset ReportedAt,
    string Circuit,
    int InFlight,
    double? LatencyMs,
    int RecentCalls,
    int RecentFailures,
    long CooldownRemainingMs)
{
    public static DeploymentSiloResponse From(DeploymentHealthReport report, DateTimeOffset now) => new(
        report.Silo,
        report.At,
        DeploymentResponse.Name(DeploymentResponse.Effective(report, now)),
        report.InFlight,
        report.LatencyMs,
        report.RecentCalls,
        report.RecentFailures,
        DeploymentResponse.RemainingMs(report.CoolUntil, now));
}
