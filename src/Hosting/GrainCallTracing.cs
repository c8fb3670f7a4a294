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
/// </summary>
public static class GrainCallTracing
{
    private static readonly DistributedContextPropagator Propagator = DistributedContextPropagator.Current;
    private static readonly ConcurrentDictionary<Type, bool> Traced = new();
    private static readonly HashSet<Type> Untraced = [typeof(IDeploymentCapacityGrain), typeof(IDeploymentStatusGrain), typeof(IUpstreamStreamObserver)];

    /// <summary>A silo's calls: the callee's span for calls it receives, the trace context on calls it makes.</summary>
    public static ISiloBuilder AddGrainCallTracing(this ISiloBuilder silo) =>
        silo.AddOutgoingGrainCallFilter<OutgoingFilter>().AddIncomingGrainCallFilter<IncomingFilter>();

    /// <summary>A client's calls (a frontend outside the silos): the trace context on calls it makes.</summary>
    public static IClientBuilder AddGrainCallTracing(this IClientBuilder client) => client.AddOutgoingGrainCallFilter<OutgoingFilter>();

    private static bool IsTraced(Type grainInterface) =>
        Traced.GetOrAdd(grainInterface, static type => !Untraced.Contains(type) && type.Namespace?.StartsWith(nameof(Orleans), StringComparison.Ordinal) != true);

    private static readonly DistributedContextPropagator.PropagatorGetterCallback ReadRequestContext =
        static (_, fieldName, out fieldValue, out fieldValues) =>
        {
            fieldValues = null;
            fieldValue = RequestContext.Get(fieldName) as string;
        };

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
        public Task Invoke(IOutgoingGrainCallContext context)
        {
            if (GatewayTracing.GrainCalls.HasListeners() && Activity.Current is { } current && IsTraced(context.Request.GetInterfaceType()))
            {
                Propagator.Inject(current, null, static (_, key, value) => RequestContext.Set(key, value));
            }

            return context.Invoke();
        }
    }

    private sealed class IncomingFilter : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context)
        {
            var source = GatewayTracing.GrainCalls;
            if (!source.HasListeners() || !IsTraced(context.Request.GetInterfaceType()))
            {
                return context.Invoke();
            }

            Propagator.ExtractTraceIdAndState(null, ReadRequestContext, out var traceParent, out var traceState);
            if (traceParent is null
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

            if (Propagator.ExtractBaggage(null, ReadRequestContext) is { } baggage)
            {
                foreach (var (key, value) in baggage)
                {
                    span.AddBaggage(key, value);
                }
            }

            span.Start();
            return InvokeAsync(context, span);
        }
    }
}
