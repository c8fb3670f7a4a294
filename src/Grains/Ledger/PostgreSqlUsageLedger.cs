using System.Diagnostics;
using System.Threading.Channels;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Ledger;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Polly;

namespace Gateway.Grains.Ledger;

/// <summary>
/// The usage ledger on PostgreSQL with group commit: appends wait in a bounded buffer, one writer inserts whatever
/// has gathered in one statement, and every append completes when its row is committed. A failed write is retried
/// (the rows stay buffered) until it succeeds; while the buffer is full, <see cref="IsAcceptingWrites"/> is false.
/// Shutdown writes what is buffered before the silo stops.
/// </summary>
public sealed partial class PostgreSqlUsageLedger : IUsageLedger, IHostedService, IAsyncDisposable
{
    private const string Columns = "tenant_id, seq, request_id, recorded_at, model, provider, input_tokens, output_tokens, cost_usd, outcome, requested_model, attempts, usage_counted, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, queue_wait_ms";
    private static readonly ResiliencePropertyKey<int> BatchCount = new("gateway.ledger-batch-count");

    private readonly NpgsqlDataSource _dataSource;
    private readonly LedgerOptions _options;
    private readonly ILogger<PostgreSqlUsageLedger> _logger;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly ResiliencePipeline _retry;
    private int _buffered;
    private int _disposed;
    private bool _capacityReported;
    private Task _writer = Task.CompletedTask;

    public PostgreSqlUsageLedger(string connectionString, IOptions<LedgerOptions> options, TimeProvider time, ILogger<PostgreSqlUsageLedger> logger)
    {
        // The ledger's own pool: its connections carry no session state to reset (no DISCARD ALL on every return),
        // and the one insert it repeats is prepared once per connection instead of planned every batch.
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
        {
            NoResetOnClose = true,
            MaxAutoPrepare = 8,
            AutoPrepareMinUsages = 2,
        }.ConnectionString);
        _options = options.Value;
        _logger = logger;
        _retry = LedgerWriteRetry.Create(_options.MaxRetryDelay, time, () => _stopping.IsCancellationRequested, args =>
        {
            LogWriteFailed(_logger, args.Context.Properties.GetValue(BatchCount, 0), args.AttemptNumber + 1, args.Outcome.Exception!.GetType().Name);
            return ValueTask.CompletedTask;
        });
    }

    public bool IsAcceptingWrites => Volatile.Read(ref _buffered) < _options.BufferCapacity;

    public Task AppendAsync(LedgerEntry entry)
    {
        var pending = new Pending(entry, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Increment(ref _buffered);
        if (!_pending.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _buffered);
            throw new InvalidOperationException("The usage ledger is shut down.");
        }

        LedgerMetrics.EntriesBuffered(1);

        return pending.Written.Task;
    }

    public async Task<IReadOnlyList<LedgerEntry>> ReadAfterAsync(string tenantId, long afterSeq, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(
            $"SELECT {Columns} FROM usage_ledger WHERE tenant_id = $1 AND seq > $2 ORDER BY seq");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = afterSeq });
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<LedgerPage> PageAsync(string tenantId, LedgerQuery query, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(
            $"""
            SELECT {Columns} FROM usage_ledger
            WHERE tenant_id = $1 AND seq > $2 AND ($3::timestamptz IS NULL OR recorded_at >= $3) AND ($4::timestamptz IS NULL OR recorded_at < $4)
            ORDER BY seq LIMIT $5
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = query.After });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.From ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.To ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = query.Limit + 1 });
        return LedgerPages.Of(await ReadAsync(command, cancellationToken), query.Limit);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
        LedgerMetrics.CapacityChanged(_options.BufferCapacity);
        _capacityReported = true;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        drain.CancelAfter(_options.DrainTimeout);
        try
        {
            await _writer.WaitAsync(drain.Token);
        }
        catch (OperationCanceledException)
        {
            LogDrainIncomplete(_logger, Volatile.Read(ref _buffered));
            await _stopping.CancelAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered under several service types, so the container may dispose it more than once.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _pending.Writer.TryComplete();
        if (_capacityReported)
        {
            LedgerMetrics.CapacityChanged(-_options.BufferCapacity);
        }

        await _stopping.CancelAsync();
        await _writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _dataSource.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_options.MaxBatchSize);
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            var started = Stopwatch.GetTimestamp();
            await WriteWithRetriesAsync(batch);
            LedgerMetrics.BatchCommitted(Stopwatch.GetElapsedTime(started));
            foreach (var written in batch)
            {
                written.Written.TrySetResult();
            }

            Interlocked.Add(ref _buffered, -batch.Count);
            LedgerMetrics.EntriesBuffered(-batch.Count);
            batch.Clear();
        }
    }

    private async Task WriteWithRetriesAsync(List<Pending> batch)
    {
        // Without a cancellation token: a wait under way runs out even once shutdown gives up, and the next failure ends it.
        var context = ResilienceContextPool.Shared.Get();
        context.Properties.Set(BatchCount, batch.Count);
        var attempts = 0;
        try
        {
            await _retry.ExecuteAsync(
                async _ =>
                {
                    attempts++;
                    await InsertAsync(batch);
                },
                context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (attempts > 1)
        {
            LogRecovered(_logger, batch.Count, attempts);
        }
    }

    private async Task InsertAsync(List<Pending> batch)
    {
        var count = batch.Count;
        var tenants = new string[count];
        var seqs = new long[count];
        var requests = new string[count];
        var times = new DateTime[count];
        var models = new string[count];
        var providers = new string[count];
        var inputs = new long[count];
        var outputs = new long[count];
        var costs = new decimal[count];
        var outcomes = new string[count];
        var requested = new string?[count];
        var attempts = new int[count];
        var counted = new bool[count];
        var cachedInputs = new long[count];
        var cacheWrites = new long[count];
        var hourWrites = new long[count];
        var reasoning = new long[count];
        var queueWaits = new long[count];
        for (var i = 0; i < count; i++)
        {
            var e = batch[i].Entry;
            (tenants[i], seqs[i], requests[i], times[i], models[i], providers[i], inputs[i], outputs[i], costs[i], outcomes[i]) =
                (e.TenantId, e.Seq, e.RequestId, e.RecordedAt.UtcDateTime, e.Model, e.Provider, e.InputTokens, e.OutputTokens, e.CostUsd, e.Outcome);
            (requested[i], attempts[i], counted[i], cachedInputs[i], cacheWrites[i], hourWrites[i], reasoning[i], queueWaits[i]) =
                (e.RequestedModel, e.Attempts, e.UsageCounted, e.CachedInputTokens, e.CacheWriteTokens, e.CacheWrite1hTokens, e.ReasoningTokens, e.QueueWaitMs);
        }

        // One statement for the whole batch; a request id written by an earlier, interrupted attempt is skipped.
        await using var command = _dataSource.CreateCommand(
            $"""
            INSERT INTO usage_ledger ({Columns})
            SELECT * FROM unnest($1::varchar[], $2::bigint[], $3::varchar[], $4::timestamptz[], $5::varchar[], $6::varchar[], $7::bigint[], $8::bigint[], $9::numeric[], $10::varchar[], $11::varchar[], $12::integer[], $13::boolean[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[])
            ON CONFLICT DO NOTHING
            """);
        foreach (var values in new object[] { tenants, seqs, requests, times, models, providers, inputs, outputs, costs, outcomes, requested, attempts, counted, cachedInputs, cacheWrites, hourWrites, reasoning, queueWaits })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = values });
        }

        await command.ExecuteNonQueryAsync();
    }

    private static async Task<IReadOnlyList<LedgerEntry>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var entries = new List<LedgerEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new LedgerEntry(
                reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetString(4), reader.GetString(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetDecimal(8), reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetInt32(11), reader.GetBoolean(12), reader.GetInt64(13), reader.GetInt64(14),
                reader.GetInt64(15), reader.GetInt64(16), reader.GetInt64(17)));
        }

        return entries;
    }

    private sealed record Pending(LedgerEntry Entry, TaskCompletionSource Written);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} ledger entries failed (attempt {Attempt}, {Reason}); they stay buffered and are retried")]
    private static partial void LogWriteFailed(ILogger logger, int count, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote {Count} buffered ledger entries after {Attempt} attempts")]
    private static partial void LogRecovered(ILogger logger, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutdown left {Count} ledger entries unwritten")]
    private static partial void LogDrainIncomplete(ILogger logger, int count);
}
