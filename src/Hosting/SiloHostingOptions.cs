using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// How a silo or client joins its cluster (configuration <c>Cluster</c>; not <c>Orleans</c>, whose keys Orleans reads
/// itself with another meaning).
/// </summary>
public sealed class SiloHostingOptions
{
    public const string Section = "Cluster";

    public string ClusterId { get; set; } = "gateway";

    public string ServiceId { get; set; } = "gateway";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (split-mode frontends) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>How silos and clients find each other: <c>Localhost</c> (one machine, development) or <c>Redis</c> (<c>ConnectionStrings:Redis</c>).</summary>
    public ClusteringKind Clustering { get; set; } = ClusteringKind.Localhost;

    /// <summary>Where grain state lives: <c>Memory</c> (lost on restart) or <c>PostgreSql</c> (<c>ConnectionStrings:Gateway</c>).</summary>
    public StorageKind Storage { get; set; } = StorageKind.Memory;

    /// <summary>The address other silos and clients reach this silo at (with Redis clustering); a pod IP in Kubernetes.</summary>
    public string AdvertisedIPAddress { get; set; } = "127.0.0.1";

    /// <summary>Longest wait between attempts to reach the membership store while joining; the wait doubles from 1 s up to it.</summary>
    public TimeSpan JoinRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a silo process whose start failed keeps reporting why on <c>/health/ready</c> before it exits with code 1.</summary>
    public TimeSpan StartFailureExitDelay { get; set; } = TimeSpan.FromSeconds(15);

    public static SiloHostingOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<SiloHostingOptions>() ?? new SiloHostingOptions();

    /// <summary>A connection string that must be configured for the chosen clustering or storage.</summary>
    public static string RequiredConnectionString(IConfiguration configuration, string name, string purpose) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{purpose} needs ConnectionStrings:{name} (environment ConnectionStrings__{name}).");
}

public enum ClusteringKind
{
    Localhost,
    Redis,
}

public enum StorageKind
{
    Memory,
    PostgreSql,
}
