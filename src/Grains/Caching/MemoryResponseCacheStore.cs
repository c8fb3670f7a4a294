namespace Gateway.Grains.Caching;

/// <summary>
/// Entries in this process's memory, bounded per tenant (entries) and in total (bytes), expired by the injected clock.
/// The store of the embedded run, and the small layer in front of Redis in a cluster.
/// </summary>
public sealed class MemoryResponseCacheStore(TimeProvider time, long maxBytes) : IResponseCacheStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedList<Entry>> _byTenant = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _all = new();
    private long _bytes;

    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    public Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return Task.FromResult<byte[]?>(null);
            }

            if (entry.ExpiresAt <= time.GetUtcNow())
            {
                RemoveLocked(entry);
                return Task.FromResult<byte[]?>(null);
            }

            return Task.FromResult<byte[]?>(entry.Value);
        }
    }

    public Task SetAsync(string tenantId, string key, byte[] value, TimeSpan ttl, int maxEntries, CancellationToken cancellationToken)
    {
        if (value.Length > maxBytes || maxEntries <= 0)
        {
            return Task.CompletedTask;
        }

        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                RemoveLocked(existing);
            }

            if (!_byTenant.TryGetValue(tenantId, out var tenantEntries))
            {
                _byTenant[tenantId] = tenantEntries = new LinkedList<Entry>();
            }

            // Oldest first: expired ones, then whatever exceeds the tenant's bound or the total.
            var now = time.GetUtcNow();
            while (tenantEntries.First is { } oldest && (tenantEntries.Count >= maxEntries || oldest.Value.ExpiresAt <= now))
            {
                RemoveLocked(oldest.Value);
            }

            while (_all.First is { } oldest && _bytes + value.Length > maxBytes)
            {
                RemoveLocked(oldest.Value);
            }

            var entry = new Entry(tenantId, key, value, now + ttl);
            entry.TenantNode = tenantEntries.AddLast(entry);
            entry.AllNode = _all.AddLast(entry);
            _entries[key] = entry;
            _bytes += value.Length;
        }

        return Task.CompletedTask;
    }

    private void RemoveLocked(Entry entry)
    {
        _entries.Remove(entry.Key);
        _all.Remove(entry.AllNode!);
        var tenantEntries = _byTenant[entry.TenantId];
        tenantEntries.Remove(entry.TenantNode!);
        if (tenantEntries.Count == 0)
        {
            _byTenant.Remove(entry.TenantId);
        }

        _bytes -= entry.Value.Length;
    }

    private sealed class Entry(string tenantId, string key, byte[] value, DateTimeOffset expiresAt)
    {
        public string TenantId { get; } = tenantId;
        public string Key { get; } = key;
        public byte[] Value { get; } = value;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public LinkedListNode<Entry>? TenantNode { get; set; }
        public LinkedListNode<Entry>? AllNode { get; set; }
    }
}
