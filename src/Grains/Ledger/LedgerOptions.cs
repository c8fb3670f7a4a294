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

    /// <summary>Refuses to start with settings that cannot work, naming the setting to fix.</summary>
    internal sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<LedgerOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, LedgerOptions options)
        {
            var failures = new List<string>();
            if (options.BufferCapacity < 1) failures.Add($"{Section}:BufferCapacity must be at least 1.");
            if (options.MaxBatchSize < 1) failures.Add($"{Section}:MaxBatchSize must be at least 1.");
            if (options.MaxRetryDelay <= TimeSpan.Zero) failures.Add($"{Section}:MaxRetryDelay must be positive.");
            if (options.DrainTimeout < TimeSpan.Zero) failures.Add($"{Section}:DrainTimeout must not be negative.");
            return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
        }
    }
}
