using System.Diagnostics;

namespace Gateway.Catalog.Telemetry;

/// <summary>
/// The gateway's own spans: one per provider attempt, with the GenAI attributes and never prompt or answer text; and the
/// grain calls of a request (the callee's side), apart so that the two can be told apart by source.
/// </summary>
public static class GatewayTracing
{
    public const string SourceName = "Gateway";
    public const string GrainCallSourceName = "Gateway.GrainCalls";

    public static ActivitySource Source { get; } = new(SourceName);

    public static ActivitySource GrainCalls { get; } = new(GrainCallSourceName);
}
