namespace Gateway.Catalog.Telemetry;

/// <summary>
/// The names every host registers with OpenTelemetry, and the attribute names the gateway's instruments share. Provider
/// calls follow the OpenTelemetry GenAI semantic conventions v1.41.0 (status Development): names from there keep their
/// dots (<c>gen_ai.*</c>, <c>error.type</c>); the gateway's own are under <c>gateway.</c>.
/// </summary>
public static class TelemetryNames
{
    /// <summary>The gateway's meters, one per area.</summary>
    public static IReadOnlyList<string> Meters { get; } =
        [FrontendMetrics.MeterName, AccountingMetrics.MeterName, GenAiMetrics.MeterName, UpstreamMetrics.MeterName, LedgerMetrics.MeterName];

    /// <summary>Orleans' own meter.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    public const string Tier = "gateway.tier";
    public const string Tenant = "gateway.tenant";
    public const string Model = "gateway.model";
    public const string Outcome = "gateway.outcome";
    public const string Deployment = "gateway.deployment";
    public const string TokenType = "gen_ai.token.type";

    /// <summary>The token kinds the conventions have no <see cref="TokenType"/> value for (cache reads and writes, reasoning).</summary>
    public const string GatewayTokenType = "gateway.token.type";
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string ErrorType = "error.type";
}
