using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Catalog.Models;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.Grains.Upstream;

/// <summary>
/// One attempt on a provider as telemetry sees it: a client span with the GenAI attributes (never prompt or answer text),
/// which the HTTP request to the provider names as its parent (no span of the HTTP client's own, see
/// <c>TraceContextHandler</c>), and the GenAI duration and time-to-first-chunk metrics. A completion's
/// call ends when its body has been read; a stream's when its exchange is disposed.
/// </summary>
internal sealed class ProviderCall
{
    /// <summary>The spans' names (<c>chat {upstream model}</c>), made once per upstream model of the catalog rather than per call.</summary>
    private static readonly ConcurrentDictionary<string, string> SpanNames = new(StringComparer.Ordinal);

    private readonly Activity? _activity;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly string _provider;
    private readonly string _requestModel;
    private readonly string _responseModel;
    private readonly string _deployment;
    private bool _ended;

    private ProviderCall(Deployment deployment, string provider, string requestModel)
    {
        (_provider, _requestModel, _responseModel, _deployment) = (provider, requestModel, deployment.ModelId, deployment.Id);
        // Only within a traced call (the upstream worker's span): a request whose trace is not recorded reaches the worker with
        // none, and its attempt must not start a trace of its own.
        _activity = GatewayTracing.Source.HasListeners() && Activity.Current is { Recorded: true }
            ? GatewayTracing.Source.StartActivity(SpanName(deployment.UpstreamModel), ActivityKind.Client)
            : null;
        if (_activity is { IsAllDataRequested: true } span)
        {
            span.SetTag(TelemetryNames.OperationName, GenAiMetrics.ChatOperation);
            span.SetTag(TelemetryNames.ProviderName, provider);
            span.SetTag(TelemetryNames.RequestModel, deployment.UpstreamModel);
            span.SetTag(TelemetryNames.Model, deployment.ModelId);
            span.SetTag(TelemetryNames.Deployment, deployment.Id);
        }
    }

    /// <summary>Starts the attempt's span, which becomes the current activity of the calling flow (the HTTP call's parent).</summary>
    public static ProviderCall Start(Deployment deployment, string provider, string requestModel) => new(deployment, provider, requestModel);

    /// <summary>Time since the request was sent.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>The first chunk of a stream arrived.</summary>
    public void FirstChunk()
    {
        var elapsed = Elapsed;
        GenAiMetrics.RecordTimeToFirstChunk(_provider, _requestModel, _responseModel, elapsed);
        _activity?.SetTag("gen_ai.response.time_to_first_chunk", elapsed.TotalSeconds);
    }

    /// <summary>
    /// A completion's usage, on its span: input and output (cache reads and writes within input, reasoning within output,
    /// each set only when there is some), as the GenAI conventions v1.41.0 name them.
    /// </summary>
    public void Usage(in CompletionUsage.Figures usage)
    {
        if (_activity is not { IsAllDataRequested: true } span)
        {
            return;
        }

        span.SetTag("gen_ai.usage.input_tokens", usage.Input);
        span.SetTag("gen_ai.usage.output_tokens", usage.Output);
        SetIfAny(span, "gen_ai.usage.cache_read.input_tokens", usage.CachedInput);
        SetIfAny(span, "gen_ai.usage.cache_creation.input_tokens", usage.CacheWrite);
        SetIfAny(span, "gen_ai.usage.reasoning.output_tokens", usage.Reasoning);
    }

    private static void SetIfAny(Activity span, string name, long tokens)
    {
        if (tokens > 0)
        {
            span.SetTag(name, tokens);
        }
    }

    /// <summary>The call is over: its duration is recorded, and its span ends (as an error when <paramref name="errorType"/> is given).</summary>
    public void End(string? errorType)
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        GenAiMetrics.RecordDuration(_provider, _requestModel, _responseModel, _deployment, Elapsed, errorType);
        if (_activity is not { } span)
        {
            return;
        }

        if (errorType is not null)
        {
            span.SetTag(TelemetryNames.ErrorType, errorType);
            span.SetStatus(ActivityStatusCode.Error);
        }

        // Ended from wherever the exchange ends (a stream's last read): the flow that ends it keeps its own current activity.
        var current = Activity.Current;
        span.Dispose();
        Activity.Current = current == span ? span.Parent : current;
    }

    public void End(UpstreamFailure failure) => End(ErrorType(failure.Kind));

    private static string SpanName(string upstreamModel) =>
        SpanNames.GetOrAdd(upstreamModel, static model => $"{GenAiMetrics.ChatOperation} {model}");

    /// <summary>A failure kind as an <c>error.type</c> value: <c>timed_out</c>, <c>provider_error</c>, ...</summary>
    public static string ErrorType(UpstreamFailureKind kind) => kind switch
    {
        UpstreamFailureKind.Unreachable => "unreachable",
        UpstreamFailureKind.TimedOut => "timed_out",
        UpstreamFailureKind.Overloaded => "overloaded",
        UpstreamFailureKind.RateLimited => "rate_limited",
        UpstreamFailureKind.BadResponse => "bad_response",
        UpstreamFailureKind.ProviderError => "provider_error",
        UpstreamFailureKind.Refused => "refused",
        UpstreamFailureKind.AuthFailed => "auth_failed",
        UpstreamFailureKind.StreamCut => "stream_cut",
        _ => "_OTHER",
    };
}
