using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Routing;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Abstractions.Upstream;
using Orleans.Serialization.Invocation;

namespace Gateway.Hosting;

/// <summary>
/// A request's trace across grain calls, in place of Orleans' <c>AddActivityPropagation</c>, which measured as the largest
/// part of what tracing cost (2.9% of a loaded gateway's CPU samples of 5.8% for all of tracing): Orleans starts two spans
/// per call (the caller's and the callee's, in one process too), tags each with an interpolated method name and formatted
/// grain ids, and starts a new root trace for every call made outside a request (the frontend's in-flight probes, status
/// reports, the dashboard's polls). Here a call made within a trace gets one span, named as Orleans names it
/// (<c>ITenantGrain/AdmitAsync</c>), and a call made outside one gets none:
/// <list type="bullet">
/// <item>the upstream worker's calls, whose provider attempts are spans of their own, get the callee's span (a server
/// span): the caller writes the current trace context into the call's <see cref="RequestContext"/>, the callee starts
/// the span under it;</item>
/// <item>every other traced call (the tenant grain's, the key grain's) gets the caller's span (a client span) and carries
/// nothing: its grain starts no span, so the trace context would be written, copied by Orleans, read and parsed for
/// nothing (about 3 µs of CPU a call).</item>
/// </list>
/// Untraced: calls that serve many requests at once and are not attributed to the one that happened to trigger them
/// (capacity leases and queue turns, health reports, the stream observer's chunk batches: the worker's
/// <c>StreamToAsync</c> span covers the stream), and the settlement of a served request (<c>SettleAsync</c>, a span of
/// about 5 µs on every request for a call that only books what the provider span already shows; a settlement that fails
/// is logged, under the request's trace id). Nothing is done while no listener samples
/// <see cref="GatewayTracing.GrainCallSourceName"/> (tracing off), nor for a request whose trace is not recorded (a head
/// sampler such as <c>parentbased_traceidratio</c> left it out): its grain calls get no span and carry no context, as its
/// other spans are not recorded either.
/// The context is in the request context of the traced call only: the caller sets it for that call and not for the rest of
/// its flow, and the callee takes it out before the grain runs, so the calls a request's flow makes afterwards (capacity,
/// ledger, ...) carry no request context, which Orleans would otherwise copy into every one of them. Only the W3C trace
/// context goes (<c>traceparent</c>, <c>tracestate</c>), not baggage, which nothing of the gateway reads.
/// </summary>
public static class GrainCallTracing
{
    private const string TraceParent = "traceparent";
    private const string TraceState = "tracestate";

    /// <summary>How each grain method (each has an invokable type of its own) is traced: null for not at all.</summary>
    private static readonly ConcurrentDictionary<Type, TracedCall?> Calls = new();

    private static readonly HashSet<Type> Untraced = [typeof(IDeploymentCapacityGrain), typeof(IDeploymentStatusGrain), typeof(IUpstreamStreamObserver)];
    private static readonly HashSet<(Type, string)> UntracedMethods = [(typeof(ITenantGrain), nameof(ITenantGrain.SettleAsync))];
    private static readonly HashSet<Type> SpannedByCallee = [typeof(IUpstreamGrain)];

    /// <summary>A silo's calls: the span of calls it makes or receives, the trace context on calls it makes.</summary>
    public static ISiloBuilder AddGrainCallTracing(this ISiloBuilder silo) =>
        silo.AddOutgoingGrainCallFilter<OutgoingFilter>().AddIncomingGrainCallFilter<IncomingFilter>();

    /// <summary>A client's calls (a frontend outside the silos): the span of calls it makes, the trace context on them.</summary>
    public static IClientBuilder AddGrainCallTracing(this IClientBuilder client) => client.AddOutgoingGrainCallFilter<OutgoingFilter>();

    private static TracedCall? Of(IInvokable request) => Calls.GetOrAdd(request.GetType(), static (_, request) => TracedCall.Of(request), request);

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

    /// <summary>
    /// The call within the caller's span. An async method, so that the span is the current activity of the call alone and
    /// not of the caller's flow once it returns.
    /// </summary>
    private static async Task InvokeInSpanAsync(IOutgoingGrainCallContext context, TracedCall call)
    {
        if (GatewayTracing.GrainCalls.StartActivity(call.Name, ActivityKind.Client) is not { } span)
        {
            await context.Invoke();
            return;
        }

        call.Tag(span);
        await InvokeAsync(context, span);
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

    private static async Task InvokeAsync(IGrainCallContext context, Activity span)
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

    /// <summary>A traced grain method: its span's name and attributes, made once, and which side of the call starts the span.</summary>
    private sealed record TracedCall(string Name, string Service, string Method, bool OnCallee)
    {
        public static TracedCall? Of(IInvokable request)
        {
            var type = request.GetInterfaceType();
            var method = request.GetMethodName();
            return Untraced.Contains(type) || UntracedMethods.Contains((type, method)) || type.Namespace?.StartsWith(nameof(Orleans), StringComparison.Ordinal) == true
                ? null
                : new TracedCall(request.GetActivityName(), request.GetInterfaceName(), method, SpannedByCallee.Contains(type));
        }

        public void Tag(Activity span)
        {
            if (span.IsAllDataRequested)
            {
                span.SetTag("rpc.system", "orleans");
                span.SetTag("rpc.service", Service);
                span.SetTag("rpc.method", Method);
            }
        }
    }

    private sealed class OutgoingFilter : IOutgoingGrainCallFilter
    {
        public Task Invoke(IOutgoingGrainCallContext context)
        {
            if (!GatewayTracing.GrainCalls.HasListeners() || Activity.Current is not { IdFormat: ActivityIdFormat.W3C, Recorded: true } current || Of(context.Request) is not { } call)
            {
                return context.Invoke();
            }

            return call.OnCallee
                ? InvokeWithContextAsync(context, current.Id!, current.TraceStateString)
                : InvokeInSpanAsync(context, call);
        }
    }

    private sealed class IncomingFilter : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context)
        {
            var source = GatewayTracing.GrainCalls;
            if (!source.HasListeners()
                || TakeTraceParent(out var traceState) is not { } traceParent
                || !ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent)
                || Of(context.Request) is not { } call
                || source.CreateActivity(call.Name, ActivityKind.Server, parent) is not { } span)
            {
                return context.Invoke();
            }

            call.Tag(span);
            span.Start();
            return InvokeAsync(context, span);
        }
    }
}
