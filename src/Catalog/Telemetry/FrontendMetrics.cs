using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gateway.Catalog.Telemetry;

/// <summary>What a frontend sees of each request: the time the gateway itself added, and how the request ended.</summary>
public static class FrontendMetrics
{
    public const string MeterName = "Gateway.Frontend";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>
    /// From 50 µs up, so that sub-millisecond overhead is visible (a histogram whose smallest bucket is 5 ms says nothing
    /// about a gateway that adds 1 ms).
    /// </summary>
    public static IReadOnlyList<double> AddedTimeBuckets { get; } =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private static readonly Histogram<double> AddedTime = Meter.CreateHistogram(
        "gateway.added_time", "s", "Time the gateway added to a served request: its time to the answer (or a stream's first chunk) less the provider's",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = AddedTimeBuckets });

    /// <summary>The stream label's two values, boxed once rather than at every request.</summary>
    private static readonly KeyValuePair<string, object?> Streamed = new("gateway.stream", true);
    private static readonly KeyValuePair<string, object?> NotStreamed = new("gateway.stream", false);

    /// <summary>Counted per label set and read when exported (<see cref="SeriesCounts{TKey}"/>): no recording for every request.</summary>
    private static readonly SeriesCounts<RequestKey> Requests = new();

    static FrontendMetrics() => Meter.CreateObservableCounter(
        "gateway.requests", () => Requests.Observe(RequestTags), "{request}",
        "Requests to the tenant API by outcome (served, refused, failed, cancelled) and error code");

    /// <summary>The gateway's share of a served request's time: <paramref name="total"/> less what the provider took.</summary>
    public static void RecordAddedTime(TimeSpan total, TimeSpan upstream, bool stream)
    {
        var added = total - upstream;
        AddedTime.Record(added > TimeSpan.Zero ? added.TotalSeconds : 0, stream ? Streamed : NotStreamed);
    }

    /// <summary>One finished request: <paramref name="api"/> its route, <paramref name="outcome"/> how it ended, <paramref name="errorCode"/> the error's code.</summary>
    public static void RecordRequest(string api, string outcome, string? errorCode) => Requests.Add(new RequestKey(api, outcome, errorCode), 1);

    private static TagList RequestTags(RequestKey key)
    {
        var tags = new TagList
        {
            { "gateway.api", key.Api },
            { TelemetryNames.Outcome, key.Outcome },
        };
        if (key.ErrorCode is not null)
        {
            tags.Add(TelemetryNames.ErrorType, key.ErrorCode);
        }

        return tags;
    }

    private readonly record struct RequestKey(string Api, string Outcome, string? ErrorCode);
}
