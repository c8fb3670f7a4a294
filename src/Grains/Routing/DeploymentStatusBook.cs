using Gateway.Grains.Abstractions.Routing;

namespace Gateway.Grains.Routing;

/// <summary>
/// What <see cref="DeploymentStatusGrain"/> decides: the latest report per silo, and which silos still count. A silo
/// counts while it has reported within <see cref="Silence"/>, measured by when its reports arrived (the grain's clock),
/// so a silo whose clock is off is judged by the same clock as every other. A silo that stopped or died is forgotten
/// that long after its last report; a restarted one reports under a new address.
/// </summary>
internal sealed class DeploymentStatusBook
{
    /// <summary>Ten report intervals: a silo missing that many rounds is gone, or too cut off for its view to matter.</summary>
    public static readonly TimeSpan DefaultSilence = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, (DeploymentHealthReport Report, DateTimeOffset ReceivedAt)> _silos = new(StringComparer.Ordinal);

    public DeploymentStatusBook(TimeSpan silence) => Silence = silence;

    public TimeSpan Silence { get; }

    /// <summary>Keeps the report as its silo's latest unless a newer one of that silo is already here; forgets silent silos.</summary>
    public void Put(DeploymentHealthReport report, DateTimeOffset now)
    {
        if (!_silos.TryGetValue(report.Silo, out var known) || known.Report.At <= report.At)
        {
            _silos[report.Silo] = (report, now);
        }

        List<string>? silent = null;
        foreach (var (silo, entry) in _silos)
        {
            if (!IsCurrent(entry.ReceivedAt, now))
            {
                (silent ??= []).Add(silo);
            }
        }

        foreach (var silo in silent ?? [])
        {
            _silos.Remove(silo);
        }
    }

    /// <summary>The latest report of each silo that still counts, ordered by silo.</summary>
    public IReadOnlyList<DeploymentHealthReport> Current(DateTimeOffset now) =>
        _silos.Values
            .Where(e => IsCurrent(e.ReceivedAt, now))
            .Select(e => e.Report)
            .OrderBy(r => r.Silo, StringComparer.Ordinal)
            .ToArray();

    private bool IsCurrent(DateTimeOffset receivedAt, DateTimeOffset now) => now - receivedAt <= Silence;
}
