using System.Diagnostics.Metrics;

namespace Gateway.Catalog.Telemetry;

/// <summary>Whether the ledger keeps up: entries waiting to be written, the buffer's capacity, and how long a commit takes.</summary>
public static class LedgerMetrics
{
    public const string MeterName = "Gateway.Ledger";

    private static readonly Meter Meter = new(MeterName);

    private static readonly UpDownCounter<long> Buffered = Meter.CreateUpDownCounter<long>(
        "gateway.ledger.buffered", "{entry}", "Ledger entries waiting to be written");

    private static readonly UpDownCounter<long> Capacity = Meter.CreateUpDownCounter<long>(
        "gateway.ledger.capacity", "{entry}", "Ledger entries the buffers may hold before admission stops");

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram(
        "gateway.ledger.commit.duration", "s", "Time to write one batch of ledger entries, retries included",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    public static void EntriesBuffered(long delta) => Buffered.Add(delta);

    /// <summary>A ledger with a bounded buffer started (+capacity) or stopped (-capacity).</summary>
    public static void CapacityChanged(long delta) => Capacity.Add(delta);

    public static void BatchCommitted(TimeSpan elapsed) => CommitDuration.Record(elapsed.TotalSeconds);
}
