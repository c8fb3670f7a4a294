namespace Gateway.Grains.Abstractions;

/// <summary>
/// A grain call's argument that carries its request's W3C trace context (<c>traceparent</c>, <c>tracestate</c>), for the
/// callee to start its span under: set only when the request's trace is recorded (sampled) and tracing is on, else null.
/// In the argument rather than in Orleans' request context, which a call copies, carries and hands on to every later
/// call of the callee's flow, for a context that one call alone needs.
/// </summary>
public interface ITraceContextCarrier
{
    string? TraceParent { get; }

    string? TraceState { get; }
}
