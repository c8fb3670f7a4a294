using System.Diagnostics.Metrics;
using Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// Orleans' instruments in milliseconds and megabytes come out again in seconds and bytes, with their tags, for the
/// Orleans of the same host only. Through meters of a host's own meter factory, as Orleans creates them, and a listener of
/// the test's own rather than a scrape, so that another host's instrument of the same name is seen and must be ignored.
/// </summary>
public sealed class OrleansBaseUnitMetricsTests
{
    [Fact]
    public void MillisecondHistogramsAreRecordedInSecondsAndMegabyteGaugesObservedInBytes()
    {
        using var host = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var otherHost = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = host.GetRequiredService<IMeterFactory>();
        var orleans = meters.Create("Microsoft.Orleans");
        var activation = orleans.CreateHistogram<double>("orleans-catalog-activation-latency", "ms");
        var transfer = orleans.CreateHistogram<long>("orleans-test-transfer-latency", "ms");
        var sizes = orleans.CreateHistogram<long>("orleans-test-sizes", "By");
        orleans.CreateObservableGauge("orleans-runtime-available-memory", () => 3L, "MB");
        var otherHostsActivation = otherHost.GetRequiredService<IMeterFactory>().Create("Microsoft.Orleans")
            .CreateHistogram<double>("orleans-catalog-activation-latency", "ms");
        using var republished = new OrleansBaseUnitMetrics(meters);
        var seen = new List<(string Name, string? Unit, double Value, string Tags)>();
        using var collector = new MeterListener();
        collector.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == OrleansBaseUnitMetrics.MeterName && instrument.Meter.Scope == meters)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        collector.SetMeasurementEventCallback<double>((i, value, tags, _) => seen.Add((i.Name, i.Unit, value, Tags(tags))));
        collector.SetMeasurementEventCallback<long>((i, value, tags, _) => seen.Add((i.Name, i.Unit, value, Tags(tags))));
        collector.Start();

        activation.Record(1500, new KeyValuePair<string, object?>("via", "grain-call"));
        transfer.Record(250);
        sizes.Record(4096);
        otherHostsActivation.Record(9000);
        collector.RecordObservableInstruments();

        Assert.Equal(
            [
                ("orleans-catalog-activation-latency", "s", 1.5, "via=grain-call"),
                ("orleans-test-transfer-latency", "s", 0.25, ""),
                ("orleans-runtime-available-memory", "By", 3.0 * 1024 * 1024, ""),
            ],
            seen);
    }

    private static string Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var parts = new List<string>();
        foreach (var tag in tags)
        {
            parts.Add($"{tag.Key}={tag.Value}");
        }

        return string.Join(",", parts);
    }
}
