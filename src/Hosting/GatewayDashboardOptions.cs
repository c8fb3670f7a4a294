using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// Whether a process that hosts a silo adds the Orleans dashboard (configuration <c>Gateway:Dashboard</c>). Read when the
/// silo is built, before the host's services exist, as <see cref="SiloHostingOptions"/> is.
/// </summary>
public sealed class GatewayDashboardOptions
{
    public const string Section = "Gateway:Dashboard";

    /// <summary>
    /// Adds the dashboard to the silo and serves it at <c>/dashboard</c>; off, the silo keeps no per-call grain profile
    /// and no dashboard statistics (the idle cost is in the README).
    /// </summary>
    public bool Enabled { get; set; } = true;

    public static GatewayDashboardOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<GatewayDashboardOptions>() ?? new GatewayDashboardOptions();
}
