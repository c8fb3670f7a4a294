using Gateway.Catalog.Resilience;
using Gateway.Grains.Abstractions.Upstream;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Runs one stream to its end on the frontend's <see cref="IUpstreamStreamObserver"/>: the chunks at hand go in one
/// numbered push, a heartbeat every <see cref="UpstreamChunk.HeartbeatInterval"/> tells the frontend the worker is alive,
/// and the end travels as a chunk of its own. A push refused or unanswered on its way is sent again; anything else ends
/// the stream. Called from grain code, so every await continues in the activation's turns, as the grain's own would.
/// </summary>
/// <remarks>
/// A push holds at most <see cref="MaxChunksPerPush"/> chunks: a provider that delivers faster than the gateway reads
/// (a long answer already in the socket's buffers) would otherwise be read to its end in one turn of the activation, held
/// in memory whole and reach the client in one piece at the end (seen with Claude Code: a 32,000-token answer
/// took one 3.8 s turn and its first chunk came with its last).
/// </remarks>
internal static partial class UpstreamStreamPump
{
    /// <summary>The most chunks one push carries; the next read waits for that push, which yields the activation's turn.</summary>
    internal const int MaxChunksPerPush = 64;

    private static readonly ResiliencePropertyKey<ILogger> LoggerKey = new("gateway.push.logger");
    private static readonly ResiliencePropertyKey<string> RequestKey = new("gateway.push.request");
    private static readonly ResiliencePropertyKey<long> SeqKey = new("gateway.push.seq");

    private static readonly ResiliencePipeline PushRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<OrleansMessageRejectionException>().Handle<TimeoutException>(),
            OnRetry = static args =>
            {
                var properties = args.Context.Properties;
                if (properties.TryGetValue(LoggerKey, out var logger) && properties.TryGetValue(RequestKey, out var requestId)
                    && properties.TryGetValue(SeqKey, out var seq) && args.Outcome.Exception is { } exception)
                {
                    LogPushRetried(logger, seq, requestId, args.AttemptNumber + 1, exception.GetType().Name, exception.Message);
                }

                return default;
            },
            MaxRetryAttempts = 12,
            Delay = TimeSpan.FromMilliseconds(50),
            BackoffType = DelayBackoffType.Exponential,
            MaxDelay = TimeSpan.FromMilliseconds(500),
        })
        .Build();

    /// <summary>
    /// Pushes <paramref name="stream"/> to <paramref name="observer"/> until it ends, then disposes <paramref name="running"/>:
    /// the call counts as running (for probes and the silo's drain) until the stream's last push.
    /// </summary>
    public static async Task RunAsync(
        InFlightCalls.Running running,
        IAsyncEnumerable<UpstreamChunk> stream,
        IUpstreamStreamObserver observer,
        string requestId,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        using var held = running;
        var beats = new PeriodicTimer(UpstreamChunk.HeartbeatInterval);
        var heartbeat = HeartbeatAsync(observer, beats, requestId, logger, cancellationToken);
        var seq = 0L;
        try
        {
            // When the observer throws (the client or its frontend is gone), leaving the loop disposes the stream, which
            // settles what was streamed.
            // Chunks at hand go together: while the next one is not there yet, or once a push is full, what has gathered is
            // pushed.
            var failed = false;
            var batch = new List<UpstreamChunk>(4);
            await using (var chunks = stream.GetAsyncEnumerator(cancellationToken))
            {
                while (true)
                {
                    var next = chunks.MoveNextAsync();
                    if (batch.Count > 0 && (!next.IsCompleted || batch.Count >= MaxChunksPerPush))
                    {
                        try
                        {
                            await PushAsync(observer, ++seq, [.. batch], requestId, logger, cancellationToken);
                        }
                        catch
                        {
                            // An async iterator cannot be disposed while it reads (its DisposeAsync throws and its finally
                            // never runs, so the stream would never settle): let the read end first. The call's
                            // cancellation, the provider's next event or its idle timeout ends it.
                            await IgnoreOutcomeAsync(next);
                            throw;
                        }

                        batch.Clear();
                    }

                    if (!await next)
                    {
                        break;
                    }

                    failed = chunks.Current.Failure is not null;
                    batch.Add(chunks.Current);
                }
            }

            // The end travels the same way as the chunks, so the frontend never has to rely on this call's own answer,
            // which a rolling update can lose while the pushes still get through. A failure is an end already.
            if (!failed)
            {
                batch.Add(UpstreamChunk.EndOfStream);
            }

            if (batch.Count > 0)
            {
                await PushAsync(observer, ++seq, [.. batch], requestId, logger, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException)
        {
            LogPushFailed(logger, requestId, exception.GetType().Name, exception.Message);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller cancelled the call (its client left, or its frontend gave it up): the frontend stops reading at
            // once when it was the one to cancel; logged, because a frontend that did not cancel waits for pushes instead.
            LogStreamCancelled(logger, requestId, seq);
            throw;
        }
        finally
        {
            beats.Dispose();
            await heartbeat;
        }
    }

    private static async Task IgnoreOutcomeAsync(ValueTask<bool> next)
    {
        try
        {
            await next;
        }
        catch (Exception)
        {
            // The stream's own end; the push's failure is the one that ends the call.
        }
    }

    /// <summary>
    /// Pushes one chunk to the frontend. A push refused or unanswered on its way (the frontend's connection runs through a
    /// silo that is stopping, as in a rolling update) is sent again until the client's route through another gateway is
    /// known; it carries its number, so the frontend takes it once. Anything else ends the stream, and so does the call's
    /// cancellation (the client left, or its frontend gave the call up): no push is sent again for a client that is gone,
    /// whose observer may already be deleted (each attempt would wait out its 2 s response timeout, a dozen times, while
    /// the provider goes on generating an answer nobody reads).
    /// </summary>
    private static async Task PushAsync(
        IUpstreamStreamObserver observer, long seq, UpstreamChunk[] chunks, string requestId, ILogger logger, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(LoggerKey, logger);
        context.Properties.Set(RequestKey, requestId);
        context.Properties.Set(SeqKey, seq);
        try
        {
            var outcome = await PushRetry.ExecuteFirstAttemptAheadAsync(
                static async (_, state) =>
                {
                    await SendAsync(state.observer, state.seq, state.chunks);
                    return Outcome.FromResult(true);
                },
                context,
                (observer, seq, chunks),
                static _ => false);
            outcome.ThrowIfException();
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// One attempt of a push (or a draining worker's refusal), made from the thread pool rather than from the worker's
    /// activation, so that it travels as a call of the silo's own client (the pump's code still continues in the
    /// activation's turns once it is answered). Made from the activation, the push's answer is addressed to the activation, and in rolling updates those answers
    /// were lost for seconds after an old silo stopped (every first attempt timed out, a stream of 2 s took 5-23 s) while
    /// the resends, which the retry's delay happened to make from the thread pool, were answered at once: 2 of 7
    /// rolling-restart runs had such pushes with the answers addressed to the activation, none of 10 with every push
    /// made this way.
    /// </summary>
    internal static Task SendAsync(IUpstreamStreamObserver observer, long seq, UpstreamChunk[] chunks) =>
        Task.Run(() => observer.OnChunksAsync(seq, chunks));

    /// <summary>
    /// Tells the frontend, at every tick of <paramref name="beats"/>, that this stream's worker is alive, so that it can tell
    /// a silo that died (silence) from a silo that is draining or a provider that is slow (heartbeats). Ends when the timer
    /// is disposed: a stopped timer ends the wait without the exception a cancelled wait throws, which cost a stream more
    /// CPU than any heartbeat (most streams end before the first).
    /// </summary>
    private static async Task HeartbeatAsync(IUpstreamStreamObserver observer, PeriodicTimer beats, string requestId, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            while (await beats.WaitForNextTickAsync(CancellationToken.None))
            {
                await PushAsync(observer, 0, [], requestId, logger, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or OrleansException or TimeoutException)
        {
            // The frontend is gone: the stream itself notices at its next push.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream of request {RequestId} could not reach its frontend ({ExceptionType}: {Reason}); it ends, charged what was streamed")]
    private static partial void LogPushFailed(ILogger logger, string requestId, string exceptionType, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream of request {RequestId} was cancelled by its caller after {Pushes} pushes; it ends, charged what was streamed")]
    private static partial void LogStreamCancelled(ILogger logger, string requestId, long pushes);

    // Information, not a warning: a rolling update makes a few of these while the stream goes on. A run of them on one
    // stream says where its chunks were held up (the exception names the silo the push or its answer went through).
    [LoggerMessage(Level = LogLevel.Information, Message = "Push {Seq} of request {RequestId} to its frontend failed (attempt {Attempt}, {ExceptionType}: {Reason}); sending it again")]
    private static partial void LogPushRetried(ILogger logger, long seq, string requestId, int attempt, string exceptionType, string reason);
}
