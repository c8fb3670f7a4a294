using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions;
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
/// reports, the dashboard's polls). Here a call made within a recorded trace gets one span, named as Orleans names it
/// (<c>ITenantGrain/AdmitAsync</c>), and a call made outside one gets none:
/// <list type="bullet">
/// <item>the upstream worker's calls, whose provider attempts are spans of their own, get the callee's span (a server
/// span), under the trace context their argument carries (<see cref="ITraceContextCarrier"/>, filled by the caller);
/// Orleans' request context would carry it too, but is copied with the call, read and emptied again by the callee, and
/// the three steps and the asynchronous method that scopes them measured 2.4% of a loaded gateway's CPU samples at 100%
/// sampling;</item>
/// <item>every other traced call (the tenant grain's, the key grain's) gets the caller's span (a client span) and carries
/// nothing: its grain starts no span.</item>
/// </list>
/// Untraced: calls that serve many requests at once and are not attributed to the one that happened to trigger them
/// (capacity leases and queue turns, health reports, the stream observer's chunk batches: the worker's
/// <c>StreamToAsync</c> span covers the stream), the frontend's in-flight probes (their argument carries no context), and
/// the settlement of a served request (<c>SettleAsync</c>, a span of about 5 µs on every request for a call that only
/// books what the provider span already shows; a settlement that fails is logged, under the request's trace id). Nothing
/// is done while no listener samples <see cref="GatewayTracing.GrainCallSourceName"/> (tracing off), nor for a request
/// whose trace is not recorded (a head sampler such as <c>parentbased_traceidratio</c> left it out): its grain calls get
/// no span and carry no context, as its other spans are not recorded either.
/// </summary>
public static class GrainCallTracing
{
    /// <summary>How each grain method (each has an invokable type of its own) is traced: null for not at all.</summary>
    private static readonly ConcurrentDictionary<Type, TracedCall?> Calls = new();

    private static readonly HashSet<Type> Untraced = [typeof(IDeploymentCapacityGrain), typeof(IDeploymentStatusGrain), typeof(IUpstreamStreamObserver)];
    private static readonly HashSet<(Type, string)> UntracedMethods = [(typeof(ITenantGrain), nameof(ITenantGrain.SettleAsync))];
    private static readonly HashSet<Type> SpannedByCallee = [typeof(IUpstreamGrain)];

    /// <summary>A silo's calls: the span of the calls it makes, and of the calls it receives that carry a trace context.</summary>
    public static ISiloBuilder AddGrainCallTracing(this ISiloBuilder silo) =>
        silo.AddOutgoingGrainCallFilter<OutgoingFilter>().AddIncomingGrainCallFilter<IncomingFilter>();

    /// <summary>A client's calls (a frontend outside the silos): the span of the calls it makes.</summary>
    public static IClientBuilder AddGrainCallTracing(this IClientBuilder client) => client.AddOutgoingGrainCallFilter<OutgoingFilter>();

    private static TracedCall? Of(IInvokable request) => Calls.GetOrAdd(request.GetType(), static (_, request) => TracedCall.Of(request), request);

    /// <summary>
    /// The call within <paramref name="span"/>, created and not yet started. An async method, so that the span is the
    /// current activity of the call alone and not of the flow that made (or delivers) it once it returns.
    /// </summary>
    private static async Task InvokeInSpanAsync(IGrainCallContext context, TracedCall call, Activity span)
    {
        call.Tag(span);
        span.Start();
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
            var source = GatewayTracing.GrainCalls;
            return source.HasListeners()
                && Activity.Current is { IdFormat: ActivityIdFormat.W3C, Recorded: true }
                && Of(context.Request) is { OnCallee: false } call
                && source.CreateActivity(call.Name, ActivityKind.Client) is { } span
                ? InvokeInSpanAsync(context, call, span)
                : context.Invoke();
        }
    }

    private sealed class IncomingFilter : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context)
        {
            var source = GatewayTracing.GrainCalls;
            return source.HasListeners()
                && Of(context.Request) is { OnCallee: true } call
                && context.Request.GetArgumentCount() > 0
                && context.Request.GetArgument(0) is ITraceContextCarrier { TraceParent: { } traceParent } carrier
                && ActivityContext.TryParse(traceParent, carrier.TraceState, isRemote: true, out var parent)
                && source.CreateActivity(call.Name, ActivityKind.Server, parent) is { } span
                ? InvokeInSpanAsync(context, call, span)
                : context.Invoke();
        }
    }
}
