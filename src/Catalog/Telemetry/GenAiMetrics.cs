using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gateway.Catalog.Telemetry;

/// <summary>
/// The provider calls as the OpenTelemetry GenAI semantic conventions v1.41.0 describe a client's: token usage, operation
/// duration and, for streams, time to the first chunk. Models are catalog ids (bounded), the provider is the configured
/// provider's name.
/// </summary>
public static class GenAiMetrics
{
    public const string MeterName = "Gateway.GenAI";
    public const string ChatOperation = "chat";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<long> TokenUsage = Meter.CreateHistogram(
        "gen_ai.client.token.usage", "{token}", "Number of input and output tokens used",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] });

    private static readonly Histogram<double> OperationDuration = Meter.CreateHistogram(
        "gen_ai.client.operation.duration", "s", "GenAI operation duration",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });

    private static readonly Histogram<double> TimeToFirstChunk = Meter.CreateHistogram(
        "gen_ai.client.operation.time_to_first_chunk", "s", "Time to receive the first chunk of a streamed response",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });

    /// <summary>
    /// One provider call ended (a stream at its end): how long it took, and why it failed when it did; with the deployment
    /// (bounded by the catalog), so that an error ratio can be read per deployment.
    /// </summary>
    public static void RecordDuration(string provider, string requestModel, string responseModel, string deployment, TimeSpan elapsed, string? errorType)
    {
        var tags = Tags(provider, requestModel, responseModel);
        tags.Add(TelemetryNames.Deployment, deployment);
        if (errorType is not null)
        {
            tags.Add(TelemetryNames.ErrorType, errorType);
        }

        OperationDuration.Record(elapsed.TotalSeconds, tags);
    }

    public static void RecordTimeToFirstChunk(string provider, string requestModel, string responseModel, TimeSpan elapsed) =>
        TimeToFirstChunk.Record(elapsed.TotalSeconds, Tags(provider, requestModel, responseModel));

    /// <summary>The tokens a served request was charged for, as the ledger records them.</summary>
    public static void RecordTokens(string provider, string requestModel, string responseModel, long input, long output)
    {
        var tags = Tags(provider, requestModel, responseModel);
        tags.Add(TelemetryNames.TokenType, "input");
        TokenUsage.Record(input, tags);
        tags[tags.Count - 1] = new(TelemetryNames.TokenType, "output");
        TokenUsage.Record(output, tags);
    }

    private static TagList Tags(string provider, string requestModel, string responseModel) => new()
    {
        { TelemetryNames.OperationName, ChatOperation },
        { TelemetryNames.ProviderName, provider },
        { TelemetryNames.RequestModel, requestModel },
        { TelemetryNames.ResponseModel, responseModel },
    };
}
