using System.Collections.Concurrent;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Ledger;

namespace Gateway.Grains.Ledger;

/// <summary>
/// The ledger of the embedded development run: in process memory, lost on restart like the memory grain storage
/// beside it, and bounded (a tenant keeps its latest <see cref="MaxEntriesPerTenant"/> entries).
/// </summary>
public sealed class MemoryUsageLedger : IUsageLedger
{
    public const int MaxEntriesPerTenant = 10_000;

    private readonly ConcurrentDictionary<string, TenantEntries> _tenants = new(StringComparer.Ordinal);

    public bool IsAcceptingWrites => true;

    public Task AppendAsync(LedgerEntry entry)
    {
        // Written at once, never buffered: the commit takes no measurable time and nothing waits.
        LedgerMetrics.BatchCommitted(TimeSpan.Zero);
        _tenants.GetOrAdd(entry.TenantId, _ => new TenantEntries()).Add(entry);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<LedgerEntry>> ReadAfterAsync(string tenantId, long afterSeq, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<LedgerEntry>>(Snapshot(tenantId).Where(e => e.Seq > afterSeq).ToArray());

    public Task<LedgerPage> PageAsync(string tenantId, LedgerQuery query, CancellationToken cancellationToken = default)
    {
        var entries = Snapshot(tenantId)
            .Where(e => e.Seq > query.After && (query.From is null || e.RecordedAt >= query.From) && (query.To is null || e.RecordedAt < query.To))
            .Take(query.Limit + 1)
            .ToArray();
        return Task.FromResult(LedgerPages.Of(entries, query.Limit));
    }

    private LedgerEntry[] Snapshot(string tenantId) =>
        _tenants.TryGetValue(tenantId, out var entries) ? entries.ToArray() : [];

    private sealed class TenantEntries
    {
        private readonly SortedList<long, LedgerEntry> _bySeq = [];
        private readonly HashSet<string> _requests = new(StringComparer.Ordinal);

        public void Add(LedgerEntry entry)
        {
            lock (_bySeq)
            {
                if (!_requests.Add(entry.RequestId))
                {
                    return;
                }

                _bySeq[entry.Seq] = entry;
                if (_bySeq.Count > MaxEntriesPerTenant)
                {
                    _requests.Remove(_bySeq.Values[0].RequestId);
                    _bySeq.RemoveAt(0);
                }
            }
        }

        public LedgerEntry[] ToArray()
        {
            lock (_bySeq)
            {
                return [.. _bySeq.Values];
            }
        }
    }
}
