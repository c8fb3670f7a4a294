using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// One trace per request, captured by OpenTelemetry's in-memory exporter: the frontend's server span, the grain calls
/// (tenant grain, upstream worker) and the provider attempt, whose request carries it to the provider, GenAI attributes
/// and no prompt text; the trace id is in the logs' scopes.
/// </summary>
public sealed class TracingTests : IAsyncLifetime
{
    private const string Prompt = "purple elephants dance at 4711";

    private readonly GatewayFactory _gateway = new();
    private readonly SpanList _spans = [];
    private readonly ScopeCapture _logs = new();

    public async Task InitializeAsync()
    {
        _gateway.Settings["Gateway:Telemetry:Tracing"] = "true";
        _gateway.LogCapture = _logs;
        _gateway.TestServices = services => services.ConfigureOpenTelemetryTracerProvider(traces => traces.AddInMemoryExporter(_spans));
        await _gateway.InitializeAsync();
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)_gateway).DisposeAsync();

    [Fact]
    public async Task ATraceSpansTheFrontendTheGrainsAndTheProviderCall()
    {
        var (_, key) = await _gateway.CreateTenantWithKeyAsync();
        using var client = _gateway.CreateTenantClient(key);

        // The request is sent within a trace of the test's own (the client propagates it): other tests' gateways in this
        // process trace through the same sources, so the request's spans are told apart by its trace id.
        // The first attempt fails and is retried: its warning is logged within the request's trace.
        _gateway.MockFaults.Enqueue(new MockProvider.MockFault { Status = 500 });
        var traceId = await SendWithinTraceAsync(client, ActivityTraceFlags.Recorded, Prompt);

        // Spans are exported as they end, some (the silo's side of a grain call) after the client has its answer.
        Activity? server = null;
        List<Activity> trace = [];
        await Eventually.HoldsAsync(
            () =>
            {
                // The frontend's span is the first server span of the trace; the mock's (same route) come later.
                server = Spans().OrderBy(s => s.StartTimeUtc).FirstOrDefault(s => s.Kind == ActivityKind.Server && s.TraceId == traceId && s.DisplayName.Contains("/v1/chat/completions", StringComparison.Ordinal));
                trace = server is null ? [] : Spans().Where(s => s.TraceId == server.TraceId).ToList();
                return Task.FromResult(
                    trace.Any(s => s.DisplayName.Contains("ITenantGrain", StringComparison.Ordinal) && s.DisplayName.Contains("Admit", StringComparison.Ordinal))
                    && trace.Any(s => s.DisplayName.Contains("IUpstreamGrain", StringComparison.Ordinal))
                    && trace.Any(s => s.Source.Name == "Gateway" && s.Status == ActivityStatusCode.Error)
                    && trace.Any(s => s.Source.Name == "Gateway" && s.Status != ActivityStatusCode.Error));
            },
            "the request's trace holds the server span, the tenant and upstream grain calls, the failed provider attempt and the one that served");

        var provider = trace.Single(s => s.Source.Name == "Gateway" && s.Status != ActivityStatusCode.Error);
        Assert.Contains(trace, s => s.Source.Name == "Gateway" && s.Status == ActivityStatusCode.Error && (string?)s.GetTagItem("error.type") == "provider_error");
        Assert.Equal(ActivityKind.Client, provider.Kind);
        Assert.Equal("chat", provider.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("openai", provider.GetTagItem("gen_ai.provider.name"));
        Assert.Equal("gpt-4.1", provider.GetTagItem("gen_ai.request.model"));
        Assert.Equal(5L, provider.GetTagItem("gen_ai.usage.output_tokens"));

        // The provider's request carries the attempt's span as its parent (the mock, an ASP.NET Core app in this process,
        // records its server span under it); the HTTP client adds no span of its own.
        Assert.True(trace.Any(s => s.Kind == ActivityKind.Server && s.ParentSpanId == provider.SpanId),
            "No provider-side span under the provider span: " + string.Join(", ", trace.Select(s => $"{s.Source.Name}:{s.DisplayName}:{s.Kind}:{s.ParentSpanId}")) + $" provider {provider.SpanId}");
        Assert.DoesNotContain(trace, s => s.Source.Name.StartsWith("System.Net.Http", StringComparison.Ordinal));
        Assert.DoesNotContain(trace, s => s.TagObjects.Any(t => t.Value?.ToString()?.Contains("elephants", StringComparison.Ordinal) == true));

        // One span per grain call: the upstream worker's is the callee's (its provider attempts are under it), the tenant
        // grain's the caller's; the settlement has none. Each is under a span of the same trace: the trace is one tree from
        // the frontend's span down, with no span whose parent was never recorded (the frontend's own parent is the test
        // client's HTTP call, which no listener records).
        var grainCalls = trace.Where(s => s.Source.Name == "Gateway.GrainCalls").ToList();
        Assert.All(grainCalls.Where(s => s.DisplayName.Contains("IUpstreamGrain", StringComparison.Ordinal)), s => Assert.Equal(ActivityKind.Server, s.Kind));
        Assert.All(grainCalls.Where(s => s.DisplayName.Contains("ITenantGrain", StringComparison.Ordinal)), s => Assert.Equal(ActivityKind.Client, s.Kind));
        Assert.Contains(provider.ParentSpanId, grainCalls.Where(s => s.DisplayName.Contains("IUpstreamGrain", StringComparison.Ordinal)).Select(s => s.SpanId));
        Assert.DoesNotContain(grainCalls, s => s.DisplayName.Contains("Settle", StringComparison.Ordinal));
        Assert.All(trace, s => Assert.True(s == server || trace.Any(p => p.SpanId == s.ParentSpanId),
            $"{s.Source.Name}:{s.DisplayName} has a parent outside the trace"));
        Assert.Contains(server!.TraceId.ToHexString(), _logs.TraceIds);

        // The frontend's span carries the HTTP server attributes, set by the gateway (ServerSpans) on ASP.NET Core's span.
        Assert.Equal("POST /v1/chat/completions", server.DisplayName);
        Assert.Equal("Microsoft.AspNetCore", server.Source.Name);
        Assert.Equal("POST", server.GetTagItem("http.request.method"));
        Assert.Equal("/v1/chat/completions", server.GetTagItem("http.route"));
        Assert.Equal("/v1/chat/completions", server.GetTagItem("url.path"));
        Assert.Equal("http", server.GetTagItem("url.scheme"));
        Assert.Equal("1.1", server.GetTagItem("network.protocol.version"));
        Assert.Equal(200, server.GetTagItem("http.response.status_code"));
        Assert.Null(server.GetTagItem("error.type"));
        Assert.NotEqual(ActivityStatusCode.Error, server.Status);
    }

    [Fact]
    public async Task AnAnswerOf5xxMakesTheServerSpanAnErrorAndProbesAreNotRecorded()
    {
        var (_, key) = await _gateway.CreateTenantWithKeyAsync();
        using var client = _gateway.CreateTenantClient(key);

        // A health probe and a scrape within a sampled trace: neither is recorded (the kubelet and Prometheus send them
        // every few seconds). Then a request whose every attempt fails (three): answered 502.
        var probe = await WithinTraceAsync(ActivityTraceFlags.Recorded, async () => Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode));
        var scrape = await WithinTraceAsync(ActivityTraceFlags.Recorded, async () => Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/metrics")).StatusCode));
        _gateway.MockFaults.Enqueue(new MockProvider.MockFault { Status = 500 }, count: 3);
        var failed = await SendWithinTraceAsync(client, ActivityTraceFlags.Recorded, "Fail me", expected: HttpStatusCode.BadGateway);

        Activity? server = null;
        await Eventually.HoldsAsync(
            () =>
            {
                server = Spans().FirstOrDefault(s => s.TraceId == failed && s.Source.Name == "Microsoft.AspNetCore" && (string?)s.GetTagItem("http.route") == "/v1/chat/completions");
                return Task.FromResult(server is not null);
            },
            "the failed request's server span is exported");

        Assert.Equal(502, server!.GetTagItem("http.response.status_code"));
        Assert.Equal("502", server.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, server.Status);
        Assert.DoesNotContain(Spans(), s => s.TraceId == probe || s.TraceId == scrape);
    }

    [Fact]
    public async Task ARequestWhoseTraceIsNotSampledRecordsNoSpanAndStartsNoTraceOfItsOwn()
    {
        var (_, key) = await _gateway.CreateTenantWithKeyAsync();
        using var client = _gateway.CreateTenantClient(key);

        // The client's trace is not sampled (flags 00): the parent-based sampler leaves the request's spans out, and its
        // grain calls and provider attempt must neither record a span nor start a trace of their own.
        var unsampled = await SendWithinTraceAsync(client, ActivityTraceFlags.None, "Not sampled");

        // A sampled request after it: once its provider span is exported, the first request's would have been too.
        // A sampled request and a sampled stream after it: once their provider spans are exported, the first request's
        // would have been too. The stream's attempt runs within the worker's span like a completion's.
        var sampled = await SendWithinTraceAsync(client, ActivityTraceFlags.Recorded, "Sampled");
        var stream = await SendWithinTraceAsync(client, ActivityTraceFlags.Recorded, "Sampled stream", stream: true);
        await Eventually.HoldsAsync(
            () => Task.FromResult(Spans().Any(s => s.TraceId == sampled && s.Source.Name == "Gateway") && Spans().Any(s => s.TraceId == stream && s.Source.Name == "Gateway")),
            "the sampled request's and stream's provider spans are exported");

        Assert.DoesNotContain(Spans(), s => s.TraceId == unsampled);
        var roots = Spans().Where(s => s.Source.Name.StartsWith("Gateway", StringComparison.Ordinal) && s.ParentSpanId == default).ToList();
        Assert.True(roots.Count == 0, "Spans of the gateway's that began a trace of their own: " + string.Join(", ", roots.Select(s => s.DisplayName)));
    }

    /// <summary>Sends one completion within a trace of the test's own, with the given flags: its trace id.</summary>
    private static Task<ActivityTraceId> SendWithinTraceAsync(HttpClient client, ActivityTraceFlags flags, string prompt, bool stream = false, HttpStatusCode expected = HttpStatusCode.OK)
    {
        object body = stream
            ? new { model = "gpt-4.1", messages = ChatBodies.Messages(prompt), max_tokens = 5, stream = true }
            : new { model = "gpt-4.1", messages = ChatBodies.Messages(prompt), max_tokens = 5 };
        return WithinTraceAsync(flags, () => MetricsTraffic.ExpectAsync(client, body, expected));
    }

    /// <summary>Runs <paramref name="send"/> within a trace of the test's own, with the given flags: its trace id.</summary>
    private static async Task<ActivityTraceId> WithinTraceAsync(ActivityTraceFlags flags, Func<Task> send)
    {
        var parent = new Activity("test-request").SetIdFormat(ActivityIdFormat.W3C);
        parent.ActivityTraceFlags = flags;
        var traceId = parent.Start().TraceId;
        try
        {
            await send();
        }
        finally
        {
            parent.Stop();
        }

        return traceId;
    }

    private List<Activity> Spans() => _spans.Snapshot();

    /// <summary>Collects the <c>TraceId</c> of every log scope the gateway's loggers open.</summary>
    private sealed class ScopeCapture : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider? _scopes;

        public ConcurrentBag<string> TraceIds { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(ScopeCapture owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes?.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._scopes?.ForEachScope(
                    static (scope, bag) =>
                    {
                        if (scope is IEnumerable<KeyValuePair<string, object?>> pairs && pairs.FirstOrDefault(p => p.Key == "TraceId").Value is { } id)
                        {
                            bag.Add(id.ToString()!);
                        }
                    },
                    owner.TraceIds);
        }
    }
}
