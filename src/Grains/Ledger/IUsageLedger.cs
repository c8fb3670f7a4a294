using Gateway.Grains.Abstractions.Ledger;

namespace Gateway.Grains.Ledger;

/// <summary>The append-only record of every settled request, for billing and for rebuilding totals after a crash.</summary>
public interface IUsageLedger
{
    /// <summary>False while the write buffer is full (the database is unreachable): new requests must be refused.</summary>
    bool IsAcceptingWrites { get; }

    /// <summary>Records an entry; completes once it is durable. An entry whose request id is recorded already is a no-op.</summary>
    Task AppendAsync(LedgerEntry entry);

    /// <summary>A tenant's entries with a sequence number above <paramref name="afterSeq"/>, in order.</summary>
    Task<IReadOnlyList<LedgerEntry>> ReadAfterAsync(string tenantId, long afterSeq, CancellationToken cancellationToken = default);

    /// <summary>A page of a tenant's entries.</summary>
    Task<LedgerPage> PageAsync(string tenantId, LedgerQuery query, CancellationToken cancellationToken = default);
}
