using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.Hosting;

/// <summary>
/// A request's trace across grain calls, in place of Orleans' <c>AddActivityPropagation</c>, which measured as the largest
/// part of what tracing cost (2.9% of a loaded gateway's CPU samples of 5.8% for all of tracing): Orleans starts two spans
/// per call (the caller's and the callee's, in one process too), tags each with an interpolated method name and formatted
/// grain ids, and starts a new root trace for every call made outside a request (the frontend's in-flight probes, status
/// reports, the dashboard's polls). Here the caller writes the current trace context into the call's
/// <see cref="RequestContext"/> and starts no span; the callee starts one server span, named as Orleans names it
/// (<c>ITenantGrain/AdmitAsync</c>), and only for a call that carries a request's trace context. Calls that serve many
/// requests at once are not attributed to the one that happened to trigger them: capacity leases and queue turns, health
/// reports, and the stream observer's chunk batches (the worker's <c>StreamToAsync</c> span covers the stream). Nothing
/// is done while no listener samples <see cref="GatewayTracing.GrainCallSourceName"/> (tracing off).
/// The context is in the request context of the traced call only: the caller sets it for that call and not for the rest of
/// its flow, and the callee takes it out before the grain runs, so the calls a request's flow makes afterwards (capacity,
/// ledger, ...) carry no request context, which Orleans would otherwise copy into every one of them. Only the W3C trace
/// context goes (<c>traceparent</c>, <c>tracestate</c>), not baggage, which nothing of the gateway reads.
/// </summary>
public static class GrainCallTracing
{
    private const string TraceParent = "traceparent";
    private const string TraceState = "tracestate";

    private static readonly ConcurrentDictionary<Type, bool> Traced = new();
    private static readonly HashSet<Type> Untraced = [typeof(IDeploymentCapacityGrain), typeof(IDeploymentStatusGrain), typeof(IUpstreamStreamObserver)];

    /// <summary>A silo's calls: the callee's span for calls it receives, the trace context on calls it makes.</summary>
    public static ISiloBuilder AddGrainCallTracing(this ISiloBuilder silo) =>
        silo.AddOutgoingGrainCallFilter<OutgoingFilter>().AddIncomingGrainCallFilter<IncomingFilter>();

    /// <summary>A client's calls (a frontend outside the silos): the trace context on calls it makes.</summary>
    public static IClientBuilder AddGrainCallTracing(this IClientBuilder client) => client.AddOutgoingGrainCallFilter<OutgoingFilter>();

    private static bool IsTraced(Type grainInterface) =>
        Traced.GetOrAdd(grainInterface, static type => !Untraced.Contains(type) && type.Namespace?.StartsWith(nameof(Orleans), StringComparison.Ordinal) != true);

    /// <summary>
    /// The call with the trace context in its request context. An async method: what it sets in the request context (an
    /// async local) is the call's alone, and gone from the caller's flow when it returns.
    /// </summary>
    private static async Task InvokeWithContextAsync(IOutgoingGrainCallContext context, string traceParent, string? traceState)
    {
        RequestContext.Set(TraceParent, traceParent);
        if (traceState is { } state)
        {
            RequestContext.Set(TraceState, state);
        }

        await context.Invoke();
    }

    /// <summary>Takes the trace context a traced call carries out of the request context: null when it carries none.</summary>
    private static string? TakeTraceParent(out string? traceState)
    {
        traceState = null;
        if (RequestContext.Get(TraceParent) is not string traceParent)
        {
            return null;
        }

        RequestContext.Remove(TraceParent);
        if (RequestContext.Get(TraceState) is string state)
        {
            traceState = state;
            RequestContext.Remove(TraceState);
        }

        return traceParent;
    }

    private static async Task InvokeAsync(IIncomingGrainCallContext context, Activity span)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception e) when (span.IsAllDataRequested)
        {
            span.SetTag(TelemetryNames.ErrorType, e.GetType().FullName);
            span.SetStatus(ActivityStatusCode.Error);
            throw;
        }
        finally
        {
            span.Stop();
        }
    }

    private sealed class OutgoingFilter : IOutgoingGrainCallFilter
    {
        public Task Invoke(IOutgoingGrainCallContext context) =>
            GatewayTracing.GrainCalls.HasListeners() && Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } traceParent } current
            && IsTraced(context.Request.GetInterfaceType())
                ? InvokeWithContextAsync(context, traceParent, current.TraceStateString)
                : context.Invoke();
    }

    private sealed class IncomingFilter : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context)
        {
            var source = GatewayTracing.GrainCalls;
            if (!source.HasListeners()
                || TakeTraceParent(out var traceState) is not { } traceParent
                || !ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent)
                || source.CreateActivity(context.Request.GetActivityName(), ActivityKind.Server, parent) is not { } span)
            {
                return context.Invoke();
            }

            if (span.IsAllDataRequested)
            {
                span.SetTag("rpc.system", "orleans");
                span.SetTag("rpc.service", context.InterfaceName);
                span.SetTag("rpc.method", context.MethodName);
            }

            span.Start();
            return InvokeAsync(context, span);
        }
    }
}
