using System.Diagnostics;

namespace Gateway.Tests.Telemetry;

/// <summary>The exporter's collection, which it adds to from whichever thread ends a span: read only as a copy.</summary>
internal sealed class SpanList : System.Collections.ObjectModel.Collection<Activity>
{
    private readonly Lock _lock = new();

    public List<Activity> Snapshot()
    {
        lock (_lock)
        {
            return [.. this];
        }
    }

    protected override void InsertItem(int index, Activity item)
    {
        lock (_lock)
        {
            base.InsertItem(index, item);
        }
    }
}
