using System.Collections.Concurrent;
using Gateway.Catalog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Gateway.Grains.Caching;

/// <summary>
/// A silo's door to the tenants' response caches: the shared store behind a small in-process layer, guarded so that a
/// store that fails or stalls makes misses (and skipped writes), never errors; and single flight, so identical
/// concurrent requests on this silo make one upstream call.
/// </summary>
public sealed partial class ResponseCache
{
    private readonly IResponseCacheStore _store;
    private readonly MemoryResponseCacheStore? _front;
    private readonly TimeProvider _time;
    private readonly ILogger<ResponseCache> _logger;
    private readonly ResponseCacheOptions _options;
    private readonly ResiliencePipeline _guard;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<CachedCompletion?>> _fills = new(StringComparer.Ordinal);
    private int _waiting;

    public ResponseCache(IResponseCacheStore store, IOptions<ResponseCacheOptions> options, [FromKeyedServices(GatewayClock.Key)] TimeProvider time, ILogger<ResponseCache> logger)
    {
        _store = store;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _front = store is MemoryResponseCacheStore || _options.FrontBytes <= 0 ? null : new MemoryResponseCacheStore(time, _options.FrontBytes);
        _guard = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && e is not OperationCanceledException),
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = TimeSpan.FromSeconds(5),
            })
            .AddTimeout(_options.StoreTimeout)
            .Build();
    }

    /// <summary>The tenant's live entry for <paramref name="key"/>, or null (none, expired, or the store unusable).</summary>
    public async Task<CachedCompletion?> GetAsync(string tenantId, string key, CancellationToken cancellationToken)
    {
        var bytes = _front is null ? null : await _front.GetAsync(key, cancellationToken);
        var fromFront = bytes is not null;
        bytes ??= await GuardedAsync(static (state, token) => state._store.GetAsync(state.key, token), (_store, key), cancellationToken);
        if (bytes is null || CachedCompletion.Decode(bytes) is not { } entry)
        {
            return null;
        }

        var left = entry.ExpiresAt - _time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            return null;
        }

        if (!fromFront && _front is not null)
        {
            await _front.SetAsync(tenantId, key, bytes, left, int.MaxValue, CancellationToken.None);
        }

        return entry;
    }

    /// <summary>Stores an answer for <paramref name="ttl"/>; a store that fails drops it (logged), the request is served anyway.</summary>
    public async Task SetAsync(string tenantId, string key, CachedCompletion entry, TimeSpan ttl, int maxEntries)
    {
        var bytes = entry.Encode();
        if (bytes.Length > _options.MaxEntryBytes)
        {
            return;
        }

        if (_front is not null)
        {
            await _front.SetAsync(tenantId, key, bytes, ttl, maxEntries, CancellationToken.None);
        }

        await GuardedAsync(
            static async (state, token) =>
            {
                await state._store.SetAsync(state.tenantId, state.key, state.bytes, state.ttl, state.maxEntries, token);
                return (byte[]?)null;
            },
            (_store, tenantId, key, bytes, ttl, maxEntries),
            CancellationToken.None);
    }

    /// <summary>Requests on this silo waiting for an identical one's answer rather than calling the provider.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Waits for the fill another request runs (from <see cref="TryJoin"/>), counted in <see cref="Waiting"/>.</summary>
    public async Task<CachedCompletion?> WaitAsync(Task<CachedCompletion?> pending, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            return await pending.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>
    /// Joins the fill of <paramref name="key"/> already running on this silo (<paramref name="pending"/>: its entry, or null
    /// when it stored none), or becomes its filler (<paramref name="fill"/>: complete it with what was stored).
    /// </summary>
    public bool TryJoin(string key, out Task<CachedCompletion?> pending, out Fill? fill)
    {
        var source = new TaskCompletionSource<CachedCompletion?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var existing = _fills.GetOrAdd(key, source);
        if (ReferenceEquals(existing, source))
        {
            (pending, fill) = (source.Task, new Fill(this, key, source));
            return false;
        }

        (pending, fill) = (existing.Task, null);
        return true;
    }

    private async Task<byte[]?> GuardedAsync<TState>(Func<TState, CancellationToken, Task<byte[]?>> call, TState state, CancellationToken cancellationToken)
    {
        try
        {
            return await _guard.ExecuteAsync(static async (s, token) => await s.call(s.state, token), (call, state), cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (exception is not BrokenCircuitException)
            {
                LogStoreFailed(_logger, exception.GetType().Name);
            }

            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The response cache's store failed ({Reason}); the request goes on as a miss")]
    private static partial void LogStoreFailed(ILogger logger, string reason);

    /// <summary>The one fill of a key running on this silo; whoever waits on it is released when it completes or is disposed.</summary>
    public sealed class Fill(ResponseCache cache, string key, TaskCompletionSource<CachedCompletion?> source) : IDisposable
    {
        public void Complete(CachedCompletion? entry)
        {
            cache._fills.TryRemove(new KeyValuePair<string, TaskCompletionSource<CachedCompletion?>>(key, source));
            source.TrySetResult(entry);
        }

        public void Dispose() => Complete(null);
    }
}
