using System.Diagnostics.Metrics;
using Gateway.Catalog.Telemetry;

namespace Gateway.Hosting;

/// <summary>
/// Orleans' instruments that measure in milliseconds or megabytes (its activation, deactivation, directory-registration
/// and storage latencies, its two memory gauges), published again under their own names in seconds and bytes by a meter
/// of the gateway's: Prometheus wants base units (<c>promtool check metrics</c> refuses <c>_milliseconds</c> and
/// <c>_megabytes</c>) and an OpenTelemetry view cannot change a unit, so the originals are dropped by the view and these
/// take their place. Only the instruments of this host's Orleans (its meter factory's) are followed. Each measurement
/// costs one callback and one record: on activations, registrations and storage calls, and on the response to every
/// grain call (<c>orleans-app-requests-latency</c>; 0.2% of a loaded gateway's CPU samples).
/// </summary>
internal sealed class OrleansBaseUnitMetrics : IDisposable
{
    public const string MeterName = "Gateway.Orleans";

    private const string Milliseconds = "ms";
    private const string Megabytes = "MB";
    private const double MillisecondsPerSecond = 1000;
    private const long BytesPerMegabyte = 1024 * 1024;

    private static readonly InstrumentAdvice<double> SecondsBuckets = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private readonly Meter _meter;
    private readonly MeterListener _listener = new();

    public OrleansBaseUnitMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TelemetryNames.OrleansMeter && instrument.Meter.Scope == meters && Republish(instrument) is { } target)
            {
                listener.EnableMeasurementEvents(instrument, target);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Histogram<double>)state!).Record(value / MillisecondsPerSecond, tags));
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) =>
        {
            if (state is Histogram<double> seconds)
            {
                seconds.Record(value / MillisecondsPerSecond, tags);
            }
            else
            {
                ((LastMegabytes)state!).Value = value;
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
    }

    /// <summary>What a measurement of <paramref name="instrument"/> is recorded into, or nothing for one already in base units.</summary>
    private object? Republish(Instrument instrument)
    {
        // Prometheus' linter wants a help text, which Orleans often leaves out.
        var help = string.IsNullOrEmpty(instrument.Description) ? "Orleans " + instrument.Name : instrument.Description;
        switch (instrument)
        {
            case Histogram<double> or Histogram<long> when instrument.Unit == Milliseconds:
                return _meter.CreateHistogram(instrument.Name, "s", help, advice: SecondsBuckets);
            case ObservableGauge<long> when instrument.Unit == Megabytes:
                // Observed when scraped: the gauge in bytes asks Orleans' gauge for its value, then scales it.
                var last = new LastMegabytes();
                _meter.CreateObservableGauge(instrument.Name, () =>
                {
                    _listener.RecordObservableInstruments();
                    return last.Value * BytesPerMegabyte;
                }, "By", help);
                return last;
            default:
                return null;
        }
    }

    /// <summary>The latest value of one of Orleans' megabyte gauges, taken during a collection.</summary>
    private sealed class LastMegabytes
    {
        public long Value { get; set; }
    }
}
