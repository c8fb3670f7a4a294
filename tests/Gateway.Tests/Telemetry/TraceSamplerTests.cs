using System.Diagnostics;
using System.Net;
using System.Reflection;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// The head sampler with tracing on: by default <c>parentbased_traceidratio</c> at 1% (a request with a
/// <c>traceparent</c> follows its caller's decision), <c>OTEL_TRACES_SAMPLER_ARG</c> alone changes the share,
/// <c>OTEL_TRACES_SAMPLER</c> replaces the sampler, and a share that is not one is refused at start (OpenTelemetry
/// would take it as 1: every request).
/// </summary>
public sealed class TraceSamplerTests
{
    [Theory]
    [InlineData(null, null, "ParentBased{TraceIdRatioBasedSampler{0.010000}}")]
    [InlineData(null, "0.25", "ParentBased{TraceIdRatioBasedSampler{0.250000}}")]
    [InlineData(null, " ", "ParentBased{TraceIdRatioBasedSampler{0.010000}}")]
    [InlineData("always_on", null, "AlwaysOnSampler")]
    [InlineData("parentbased_traceidratio", "0.5", "ParentBased{TraceIdRatioBasedSampler{0.500000}}")]
    public async Task TheSamplerIsTheGatewaysDefaultUnlessOpenTelemetrysVariablesNameOne(string? sampler, string? arg, string expected)
    {
        await using var gateway = Traced(sampler, arg);
        await gateway.InitializeAsync();

        var provider = gateway.Services.GetRequiredService<TracerProvider>();
        var chosen = (Sampler)provider.GetType().GetProperty("Sampler", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(provider)!;
        Assert.Equal(expected, chosen.Description);
    }

    [Fact]
    public async Task AtAShareOfOneARequestWithoutTraceparentStartsARecordedTraceOfItsOwn()
    {
        SpanList spans = [];
        await using var gateway = Traced(null, "1");
        gateway.TestServices = services => services.ConfigureOpenTelemetryTracerProvider(traces => traces.AddInMemoryExporter(spans));
        await gateway.InitializeAsync();
        var (_, key) = await gateway.CreateTenantWithKeyAsync();
        using var client = gateway.CreateTenantClient(key);

        // No ambient activity: the request carries no traceparent. Told apart from other tests' requests by its agent.
        var agent = "sampler-test/" + Guid.NewGuid().ToString("N");
        Assert.Null(Activity.Current);
        client.DefaultRequestHeaders.UserAgent.ParseAdd(agent);
        await MetricsTraffic.ExpectAsync(client, new { model = "gpt-4.1", messages = ChatBodies.Messages(), max_tokens = 5 }, HttpStatusCode.OK);

        await Eventually.HoldsAsync(
            () =>
            {
                return Task.FromResult(spans.Snapshot().Any(s => (string?)s.GetTagItem("user_agent.original") == agent && s.ParentSpanId == default && s.Kind == ActivityKind.Server));
            },
            "the request's server span, the root of its trace, is exported");
    }

    [Theory]
    [InlineData(null, "10")]
    [InlineData(null, "-0.5")]
    [InlineData(null, "one")]
    [InlineData("parentbased_traceidratio", "10")]
    public async Task AShareThatIsNotOneIsRefusedAtStart(string? sampler, string arg)
    {
        await using var gateway = Traced(sampler, arg);
        var e = await Assert.ThrowsAnyAsync<Exception>(gateway.InitializeAsync);
        Assert.Contains($"OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 (the share of requests traced), not '{arg}'", e.ToString(), StringComparison.Ordinal);
    }

    private static GatewayFactory Traced(string? sampler, string? arg)
    {
        var gateway = new GatewayFactory();
        gateway.Settings["Gateway:Telemetry:Tracing"] = "true";
        if (sampler is not null)
        {
            gateway.Settings["OTEL_TRACES_SAMPLER"] = sampler;
        }

        if (arg is not null)
        {
            gateway.Settings["OTEL_TRACES_SAMPLER_ARG"] = arg;
        }

        return gateway;
    }
}
