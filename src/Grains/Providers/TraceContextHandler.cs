using System.Diagnostics;

namespace Gateway.Grains.Providers;

/// <summary>
/// Writes the current activity's W3C trace context (<c>traceparent</c>, <c>tracestate</c>) into each provider request,
/// in place of the HTTP client's diagnostics handler (the connection handler's <c>ActivityHeadersPropagator</c> is
/// null): that handler starts an activity of its own for every call, under the provider attempt's span, which measured
/// at about 5 µs of CPU a request with tracing on and records nothing the attempt's span does not (its model, provider,
/// outcome and error). The provider sees the attempt's span as its parent.
/// </summary>
internal sealed class TraceContextHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private static readonly DistributedContextPropagator Propagator = DistributedContextPropagator.Current;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Inject(request);
        return base.SendAsync(request, cancellationToken);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Inject(request);
        return base.Send(request, cancellationToken);
    }

    private static void Inject(HttpRequestMessage request)
    {
        if (Activity.Current is { } current)
        {
            Propagator.Inject(current, request, static (carrier, name, value) => ((HttpRequestMessage)carrier!).Headers.TryAddWithoutValidation(name, value));
        }
    }
}
