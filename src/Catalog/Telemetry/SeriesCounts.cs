using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Gateway.Catalog.Telemetry;

/// <summary>
/// Counts kept per label set and read when a reader collects, the source of an observable counter (or up-down counter)
/// in place of a counter's <c>Add</c> on every request: OpenTelemetry aggregates each measurement it is given by looking its
/// tag set up (every key and value hashed, then compared) in a table all threads share, where an increment here looks one
/// key up and adds to its count. A series appears with its first count and stays, as a counter's would.
/// </summary>
internal sealed class SeriesCounts<TKey>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, StrongBox<long>> _counts = new();

    public void Add(TKey key, long delta) => Interlocked.Add(ref _counts.GetOrAdd(key, static _ => new StrongBox<long>()).Value, delta);

    /// <summary>Every count so far, labelled by <paramref name="tags"/>.</summary>
    public IEnumerable<Measurement<long>> Observe(Func<TKey, TagList> tags)
    {
        foreach (var (key, count) in _counts)
        {
            yield return new Measurement<long>(Volatile.Read(ref count.Value), tags(key));
        }
    }
}
