using Microsoft.Extensions.Options;

namespace Gateway.Catalog.Telemetry;

/// <summary>Metrics and traces (configuration <c>Gateway:Telemetry</c>).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Gateway:Telemetry";

    /// <summary>The most tenants that may be labelled individually: each one multiplies the accounting series.</summary>
    public const int MaxLabeledTenants = 100;

    /// <summary>
    /// A port on which <c>/metrics</c> answers without the admin key, for in-cluster scraping; the host must listen on it
    /// too (one of its URLs). Null (the default): <c>/metrics</c> answers only to the admin key, on every port.
    /// </summary>
    public int? ManagementPort { get; set; }

    /// <summary>
    /// Tenants whose accounting series carry a <c>gateway_tenant</c> label; every other tenant is counted only in its tier.
    /// Empty by default: per-tenant labels are what blows up a Prometheus with many tenants.
    /// </summary>
    public List<string> LabeledTenants { get; set; } = [];

    /// <summary>
    /// Record traces (ASP.NET Core, Orleans grain calls, provider calls). On by itself when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// is set, where the traces are exported; off otherwise, since spans nobody exports cost CPU for nothing.
    /// </summary>
    public bool? Tracing { get; set; }

    /// <summary>
    /// ASP.NET Core's own per-request instruments (<c>http_server_request_duration_seconds</c>,
    /// <c>http_server_active_requests</c>, ...). Off by default: the gateway's own instruments count every request by
    /// route and outcome and time what it adds and what providers take, and ASP.NET Core's cost 3-5% more CPU a request
    /// (measured with every other meter on: they doubled what metrics cost). Kestrel's connection
    /// instruments (<c>kestrel_*</c>) are exported either way.
    /// </summary>
    public bool HttpServerMetrics { get; set; }

    /// <summary>Stops the start with a message naming the setting.</summary>
    public sealed class Validator : IValidateOptions<TelemetryOptions>
    {
        public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
        {
            var failures = new List<string>();
            if (options.ManagementPort is < 1 or > 65535)
            {
                failures.Add($"{Section}:ManagementPort must be a TCP port (1-65535), or absent to serve /metrics only to the admin key.");
            }

            if (options.LabeledTenants.Count > MaxLabeledTenants)
            {
                failures.Add($"{Section}:LabeledTenants may name at most {MaxLabeledTenants} tenants (each adds its own series).");
            }

            if (options.LabeledTenants.Any(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{Section}:LabeledTenants must not hold an empty tenant id.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
