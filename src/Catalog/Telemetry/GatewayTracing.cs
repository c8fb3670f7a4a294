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

    /// <summary>
    /// The current activity's W3C trace context (its <c>traceparent</c>, and its <c>tracestate</c> in
    /// <paramref name="traceState"/>) for a grain call to carry to the callee's span: null while grain calls are not traced
    /// or when the current trace is not recorded (a head sampler left it out, or there is none), as the callee then starts
    /// no span.
    /// </summary>
    public static string? RecordedTraceParent(out string? traceState)
    {
        if (GrainCalls.HasListeners() && Activity.Current is { IdFormat: ActivityIdFormat.W3C, Recorded: true } current)
        {
            traceState = current.TraceStateString;
            return current.Id;
        }

        traceState = null;
        return null;
    }
}
