using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// One trace per request across real processes: a frontend (an Orleans client) and a silo, each exporting over OTLP to a
/// receiver on loopback, as they would to a collector. The upstream worker runs on the silo, so its span can hang under
/// the frontend's request span only through the trace context the call carried over the wire.
/// </summary>
[Collection(RealServersCollection.Name), Trait(TestSpeed.Category, TestSpeed.Slow)]
public sealed class TraceAcrossProcessesTests(RealServersFixture servers)
{
    private const int ServerKind = 2;
    private const int ClientKind = 3;

    [Theory]
    [InlineData(false, "IUpstreamGrain/CompleteAsync")]
    [InlineData(true, "IUpstreamGrain/StreamToAsync")]
    public async Task TheSilosWorkerAndProviderSpansHangUnderTheFrontendsRequestSpan(bool stream, string workerSpan)
    {
        await using var sink = await OtlpTraceSink.StartAsync();
        await using var deployment = await GatewayProcesses.StartAsync(servers, silos: 1, frontends: 1, new Dictionary<string, string>
        {
            ["Gateway__Telemetry__Tracing"] = "true",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        var (_, key) = await deployment.Frontends[0].CreateTenantAsync(new { });
        using var client = deployment.Frontends[0].CreateClient(key);
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var callerSpan = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "gpt-4.1", max_tokens = 5, stream, messages = ChatBodies.Messages() }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpan}-01");

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync();

        var server = await sink.WaitForAsync(s => s.TraceId == traceId && s.Kind == ServerKind && s.Scope == "Microsoft.AspNetCore", "the frontend's request span");
        Assert.Equal(callerSpan, server.ParentSpanId);
        var admit = await sink.WaitForAsync(s => s.TraceId == traceId && s.Name == "ITenantGrain/AdmitAsync", "the admission's span");
        Assert.Equal((ClientKind, server.SpanId), (admit.Kind, admit.ParentSpanId));
        var worker = await sink.WaitForAsync(s => s.TraceId == traceId && s.Name == workerSpan, "the silo's worker span");
        Assert.Equal((ServerKind, server.SpanId), (worker.Kind, worker.ParentSpanId));
        var attempt = await sink.WaitForAsync(s => s.TraceId == traceId && s.Scope == "Gateway" && s.Kind == ClientKind, "the provider attempt's span");
        Assert.Equal(worker.SpanId, attempt.ParentSpanId);
        Assert.StartsWith("chat ", attempt.Name, StringComparison.Ordinal);
    }
}
