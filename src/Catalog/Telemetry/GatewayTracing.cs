using System.Diagnostics;

namespace Gateway.Catalog.Telemetry;

/// <summary>The gateway's own spans: one per provider attempt, with the GenAI attributes and never prompt or answer text.</summary>
public static class GatewayTracing
{
    public const string SourceName = "Gateway";

    public static ActivitySource Source { get; } = new(SourceName);
}
