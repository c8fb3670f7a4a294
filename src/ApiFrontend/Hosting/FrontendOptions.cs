namespace Gateway.ApiFrontend.Hosting;

/// <summary>How the frontend runs (configuration <c>Gateway</c>).</summary>
public sealed class FrontendOptions
{
    public const string Section = "Gateway";

    /// <summary><see cref="FrontendMode.Embedded"/> co-hosts a silo; <see cref="FrontendMode.Client"/> joins a cluster as an Orleans client.</summary>
    public FrontendMode Mode { get; set; } = FrontendMode.Embedded;

    /// <summary>The largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How many upstream workers (one activation each in the cluster) the tenants are spread over, by a hash of the tenant id.</summary>
    public int UpstreamWorkerShards { get; set; } = 16;

    /// <summary>
    /// How often a pending upstream call is checked for a silo that died under it (see
    /// <see cref="Cluster.UpstreamCallWatch"/>); a dropped gateway connection triggers a check at once.
    /// </summary>
    public TimeSpan UpstreamProbeInterval { get; set; } = TimeSpan.FromSeconds(10);
}
