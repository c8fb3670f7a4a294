using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// An OTLP/HTTP receiver on loopback (<c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>), as a collector would be for the
/// gateway's processes: keeps the spans of every <c>/v1/traces</c> export it gets, read from the protobuf with the few
/// fields a test asks about (and answers every other signal's export with 200, keeping nothing).
/// </summary>
public sealed class OtlpTraceSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ExportedSpan> _spans = new();
    private readonly SemaphoreSlim _exported = new(0);

    private OtlpTraceSink(WebApplication app) => _app = app;

    /// <summary>The address to set as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

    public IReadOnlyCollection<ExportedSpan> Spans => _spans;

    public static async Task<OtlpTraceSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sink = new OtlpTraceSink(app);
        app.MapPost("/{**signal}", async (HttpContext context, string? signal) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            if (signal == "v1/traces")
            {
                foreach (var span in ExportedSpan.Read(body.ToArray()))
                {
                    sink._spans.Enqueue(span);
                }

                sink._exported.Release();
            }

            context.Response.ContentType = "application/x-protobuf";
        });
        await app.StartAsync();
        return sink;
    }

    /// <summary>
    /// Waits (bounded) until the spans received hold one that <paramref name="match"/> accepts, and returns it: looks again
    /// at each export that arrives.
    /// </summary>
    public async Task<ExportedSpan> WaitForAsync(Func<ExportedSpan, bool> match, string what)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (_spans.FirstOrDefault(match) is { } span)
            {
                return span;
            }

            try
            {
                await _exported.WaitAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"No exported span is {what}; received: " + string.Join(", ", _spans.Select(s => s.ToString())));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _exported.Dispose();
    }
}

/// <summary>A span as OTLP exported it: its scope (the activity source), ids in hex, name and kind (2 server, 3 client).</summary>
public sealed record ExportedSpan(string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind)
{
    /// <summary>
    /// The spans of an <c>ExportTraceServiceRequest</c>: resource_spans (1) → scope_spans (2) → scope (1, its name 1) and
    /// spans (2: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6), in protobuf's wire format.
    /// </summary>
    public static IEnumerable<ExportedSpan> Read(byte[] request)
    {
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1))
        {
            foreach (var scopeSpans in Fields(resourceSpans.Bytes).Where(f => f.Number == 2))
            {
                var fields = Fields(scopeSpans.Bytes).ToList();
                var scope = fields.Where(f => f.Number == 1).SelectMany(f => Fields(f.Bytes)).Where(f => f.Number == 1).Select(f => Text(f.Bytes)).FirstOrDefault() ?? "";
                foreach (var span in fields.Where(f => f.Number == 2).Select(f => Fields(f.Bytes).ToList()))
                {
                    yield return new ExportedSpan(
                        scope,
                        Hex(span, 1),
                        Hex(span, 2),
                        Hex(span, 4),
                        span.Where(f => f.Number == 5).Select(f => Text(f.Bytes)).FirstOrDefault() ?? "",
                        (int)span.Where(f => f.Number == 6).Select(f => f.Value).FirstOrDefault());
                }
            }
        }
    }

    private static string Hex(List<Field> span, int number) => span.Where(f => f.Number == number).Select(f => Convert.ToHexStringLower(f.Bytes)).FirstOrDefault() ?? "";

    private static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    private static IEnumerable<Field> Fields(byte[] message)
    {
        var at = 0;
        while (at < message.Length)
        {
            var key = Varint(message, ref at);
            var number = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    yield return new Field(number, Varint(message, ref at), []);
                    break;
                case 1:
                    at += 8;
                    break;
                case 2:
                    var length = (int)Varint(message, ref at);
                    yield return new Field(number, 0, message[at..(at + length)]);
                    at += length;
                    break;
                case 5:
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"Wire type {key & 7} at {at}.");
            }
        }
    }

    private static ulong Varint(byte[] message, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    private sealed record Field(int Number, ulong Value, byte[] Bytes);
}
