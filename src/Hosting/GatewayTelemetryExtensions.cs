using System.Diagnostics.Metrics;
using System.Globalization;
using Gateway.Catalog;
using Gateway.Catalog.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Gateway.Hosting;

/// <summary>
/// Metrics and traces for every gateway process (frontend, silo, both in one): the gateway's meters, Orleans' and ASP.NET
/// Core's, scraped at <c>/metrics</c> and pushed over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; traces across
/// ASP.NET Core, Orleans grain calls and the HTTP calls to providers when tracing is on; trace ids in the logs' scopes.
/// </summary>
public static partial class GatewayTelemetryExtensions
{
    public const string MetricsPath = "/metrics";

    /// <summary>The share of requests traced when nothing configures the sampler.</summary>
    public const double DefaultTraceSampleRatio = 0.01;

    private const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    private const string SamplerVariable = "OTEL_TRACES_SAMPLER";
    private const string SamplerArgVariable = "OTEL_TRACES_SAMPLER_ARG";
    private const string MessagesSentSize = "orleans-messaging-sent-messages-size";
    private const string MessagesReceivedSize = "orleans-messaging-received-messages-size";
    private const string DirectoryLookups = "orleans-directory-lookups-";
    private const string KestrelMeter = "Microsoft.AspNetCore.Server.Kestrel";
    private const string HostingMeter = "Microsoft.AspNetCore.Hosting";
    private const string AspNetCoreSource = "Microsoft.AspNetCore";

    /// <summary>Registers the meters, the exporters and (when on) tracing; once however often it is called.</summary>
    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        if (services.Any(d => d.ServiceType == typeof(TelemetryAdded)))
        {
            return services;
        }

        services.AddSingleton<TelemetryAdded>();
        services.AddGatewayCatalogs();
        services.Configure<LoggerFactoryOptions>(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        var section = configuration.GetSection(TelemetryOptions.Section);
        var tracing = section.GetValue<bool?>(nameof(TelemetryOptions.Tracing)) ?? otlp;
        string[] meters = section.GetValue<bool>(nameof(TelemetryOptions.HttpServerMetrics))
            ? [.. TelemetryNames.Meters, TelemetryNames.OrleansMeter, OrleansBaseUnitMetrics.MeterName, KestrelMeter, HostingMeter]
            : [.. TelemetryNames.Meters, TelemetryNames.OrleansMeter, OrleansBaseUnitMetrics.MeterName, KestrelMeter];
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddMeter(meters)
                .AddInstrumentation(sp => new OrleansBaseUnitMetrics(sp.GetRequiredService<IMeterFactory>()))
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        services.ConfigureOpenTelemetryMeterProvider((sp, metrics) =>
        {
            var meters = sp.GetRequiredService<IMeterFactory>();
            metrics.AddView(instrument => View(instrument, meters));
        });
        if (tracing)
        {
            // The W3C trace context only: ASP.NET Core and the HTTP client carry baggage into the activities themselves, and
            // OpenTelemetry's default baggage propagator would parse every request's headers a second time to fill its own
            // Baggage API, which nothing of the gateway reads.
            Sdk.SetDefaultTextMapPropagator(new TraceContextPropagator());

            // ASP.NET Core's hosting starts the HTTP server span of every request (source Microsoft.AspNetCore);
            // ServerSpans gives the recorded ones their attributes.
            services.AddSingleton<TracingOn>();
            var ratio = TraceSampleRatio(configuration);
            telemetry.WithTracing(traces =>
            {
                traces.AddSource(AspNetCoreSource, GatewayTracing.SourceName, GatewayTracing.GrainCallSourceName);
                if (string.IsNullOrWhiteSpace(configuration[SamplerVariable]))
                {
                    traces.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)));
                }
            });
        }

        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }

        return services;
    }

    /// <summary>
    /// The share of the requests without a <c>traceparent</c> that are traced: <c>OTEL_TRACES_SAMPLER_ARG</c>, or
    /// <see cref="DefaultTraceSampleRatio"/> when absent or blank; refused at start when it is not a number from 0 to 1, which
    /// OpenTelemetry would otherwise take silently as 1 (every request). It is the ratio of the gateway's head sampler
    /// when <c>OTEL_TRACES_SAMPLER</c> names none (<c>parentbased_traceidratio</c>: a request with a <c>traceparent</c>
    /// is traced as its caller decided); when it names one, OpenTelemetry reads both variables itself. OpenTelemetry's
    /// own default, every request, costs a loaded gateway about an eighth more CPU a request; a share this small costs
    /// next to nothing over metrics alone (Kong and Istio sample 1% by default, etcd only what its caller sampled).
    /// </summary>
    private static double TraceSampleRatio(IConfiguration configuration)
    {
        var given = configuration[SamplerArgVariable];
        if (string.IsNullOrWhiteSpace(given))
        {
            return DefaultTraceSampleRatio;
        }

        return double.TryParse(given, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && ratio is >= 0 and <= 1
            ? ratio
            : throw new InvalidOperationException($"{SamplerArgVariable} must be a number from 0 to 1 (the share of requests traced), not '{given}'.");
    }

    /// <summary>
    /// The first steps of a gateway process's pipeline: the server spans' attributes when tracing is on
    /// (<see cref="ServerSpans"/>), then <c>/metrics</c> (<see cref="MapGatewayMetrics"/>).
    /// </summary>
    public static WebApplication UseGatewayTelemetry(this WebApplication app)
    {
        if (app.Services.GetService<TracingOn>() is not null)
        {
            app.UseServerSpans(IsOperational);
        }

        return app.MapGatewayMetrics();
    }

    /// <summary>
    /// <c>/metrics</c>, before anything else of the pipeline: to the admin key (<c>Authorization: Bearer</c>) on every
    /// port, and to anyone on <see cref="TelemetryOptions.ManagementPort"/>, which serves nothing but <c>/metrics</c> and
    /// the health endpoints.
    /// </summary>
    private static WebApplication MapGatewayMetrics(this WebApplication app)
    {
        app.Services.GetRequiredService<AdminKeyVerifier>();
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (options.ManagementPort is { } port)
        {
            app.Use((context, next) =>
            {
                if (context.Connection.LocalPort == port && !IsOperational(context.Request.Path))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            });
            app.Lifetime.ApplicationStarted.Register(() => WarnIfNotListening(app, port));
        }

        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: context => context.Request.Path == MetricsPath,
            path: null,
            configureBranchedPipeline: branch => branch.UseMiddleware<MetricsAccessMiddleware>(),
            optionsName: null);
        return app;
    }

    /// <summary>
    /// Orleans' instruments as a Prometheus linter (<c>promtool check metrics</c>) accepts them: a help text where Orleans
    /// gives none, and without the few it measures in milliseconds or megabytes (Prometheus wants base units, and a view
    /// cannot change an instrument's unit), which <see cref="OrleansBaseUnitMetrics"/> publishes again in seconds and bytes.
    /// Its message-size histograms go: they are recorded for every message between processes, labelled in camel case
    /// (<c>ConnectionDirection</c>, which the linter refuses) and by remote silo address. So do its directory look-up
    /// counters (<c>orleans-directory-lookups-*</c>), two to four counts for every grain call's addressing (1.0% of a
    /// loaded gateway's CPU samples of 4.2% for all metrics) for figures an operator of the gateway has no use for; the
    /// Orleans dashboard, when on, still follows them with its own reader.
    /// </summary>
    private static MetricStreamConfiguration? OrleansView(Instrument instrument)
    {
        if (instrument.Meter.Name != TelemetryNames.OrleansMeter)
        {
            return null;
        }

        if (instrument.Unit is "ms" or "MB" || instrument.Name is MessagesSentSize or MessagesReceivedSize
            || instrument.Name.StartsWith(DirectoryLookups, StringComparison.Ordinal))
        {
            return MetricStreamConfiguration.Drop;
        }

        return string.IsNullOrEmpty(instrument.Description) ? new MetricStreamConfiguration { Description = "Orleans " + instrument.Name } : null;
    }

    /// <summary>
    /// The one view of a host's metrics (OpenTelemetry keeps a stream for every view that matches, so they are one
    /// function): instruments of meters another host's meter factory made are dropped, then <see cref="OrleansView"/>.
    /// A process runs one host in production, where this drops nothing; a test process runs many, each of whose meter
    /// providers would otherwise follow every host's <c>Microsoft.Orleans</c> and ASP.NET Core meters (OpenTelemetry
    /// matches meters by name) and end a metric of its own as soon as another host disposed its instrument of that name.
    /// </summary>
    private static MetricStreamConfiguration? View(Instrument instrument, IMeterFactory meters) =>
        instrument.Meter.Scope is IMeterFactory other && other != meters ? MetricStreamConfiguration.Drop : OrleansView(instrument);

    private static bool IsOperational(PathString path) => path == MetricsPath || path.StartsWithSegments("/health");

    private static void WarnIfNotListening(WebApplication app, int port)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        if (!addresses.Any(a => Uri.TryCreate(a.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) && uri.Port == port))
        {
            LogManagementPortNotListened(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayTelemetryExtensions).FullName!), port, string.Join(", ", addresses));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway:Telemetry:ManagementPort is {Port}, but the host does not listen on it (it listens on {Addresses}): add it to its URLs")]
    private static partial void LogManagementPortNotListened(ILogger logger, int port, string addresses);

    /// <summary>Marks a service collection that <see cref="AddGatewayTelemetry"/> has registered its services in.</summary>
    private sealed class TelemetryAdded;

    /// <summary>Marks a service collection whose host records traces.</summary>
    private sealed class TracingOn;
}
