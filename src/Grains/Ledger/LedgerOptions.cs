namespace Gateway.Grains.Ledger;

/// <summary>The usage ledger's write path (configuration <c>Gateway:Ledger</c>).</summary>
public sealed class LedgerOptions
{
    public const string Section = "Gateway:Ledger";

    /// <summary>Entries waiting to be written at most; when full (the database is unreachable) new requests get 503.</summary>
    public int BufferCapacity { get; set; } = 50_000;

    /// <summary>The most entries one insert writes (one group commit).</summary>
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>The longest wait between retries of a failed write.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long shutdown waits for waiting entries to be written.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
