namespace Gateway.Grains.Hosting;

/// <summary>How a silo joins its cluster (configuration <c>Orleans</c>).</summary>
public sealed class SiloHostingOptions
{
    public const string Section = "Orleans";

    public string ClusterId { get; set; } = "gateway";

    public string ServiceId { get; set; } = "gateway";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (split-mode frontends) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;
}
