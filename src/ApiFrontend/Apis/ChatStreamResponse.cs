using Gateway.ApiFrontend.Caching;
using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Errors;
using Gateway.ApiFrontend.Cluster;
using Gateway.ApiFrontend.Scheduling;
using Gateway.ApiFrontend.Telemetry;
using Gateway.Grains.Abstractions.Upstream;
using System.Buffers;
using System.Net.ServerSentEvents;

namespace Gateway.ApiFrontend.Apis;

/// <summary>A streamed chat answer: the worker's pushed chunks relayed to the client as server-sent events.</summary>
internal static partial class ChatStreamResponse
{
    /// <summary>
    /// Relays the stream the worker pushes to an observer of this request: the first chunk decides between an error
    /// answer (nothing began) and an SSE stream, framed by <see cref="SseFormatter"/>, rendered from OpenAI chunks or relayed
    /// as the provider's own events when it answered natively; a failure after the stream began is
    /// its last event, without <c>[DONE]</c>. True when the worker refused the call before anything was sent and it should
    /// go to another worker.
    /// </summary>
    public static async Task<bool> StreamAsync(
        HttpContext context, IGrainFactory grains, IUpstreamGrain upstream, UpstreamRequest call, UpstreamCallWatch.Call watched,
        ChatDialect dialect, ChatRequest request, TimeProvider time, bool retryIfDraining)
    {
        var relay = new UpstreamStreamRelay(watched.Pushed);
        var observer = grains.CreateObjectReference<IUpstreamStreamObserver>(relay);
        var streaming = upstream.StreamToAsync(call, observer, watched.Token);
        var ended = streaming.ContinueWith(static (call, state) => ((UpstreamStreamRelay)state!).CallEnded(call), relay, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            var first = await relay.NextAsync(watched.Token);
            if (first is null || first.Failure is not null)
            {
                // Refused by a draining worker, or by a silo on its way down before the worker had it: nothing was sent.
                if (retryIfDraining && (first?.Failure is { Kind: UpstreamFailureKind.Draining }
                    || first is null && streaming.Exception?.InnerException is OrleansMessageRejectionException))
                {
                    return true;
                }

                if (!context.RequestAborted.IsCancellationRequested)
                {
                    await dialect.Error(UpstreamErrors.For(first?.Failure ?? ChatPipeline.Lost)).ExecuteAsync(context);
                }

                return false;
            }

            RequestMetrics.RecordAddedTime(context, first.ProviderTime, stream: true);
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            if (first.CacheHit)
            {
                response.Headers[CacheHeaders.Name] = CacheHeaders.Hit;
            }

            QueueHeader.Apply(response, first.QueuedMs);

            using var rendering = first.Native ? dialect.BeginNativeStream() : dialect.BeginStream(request, watched.RequestId);
            await SseFormatter.WriteAsync(Relay(first, relay, context, watched, rendering, time), response.Body, static (item, writer) => writer.Write(item.Data), context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the worker charges what was streamed.
        }
        catch (OperationCanceledException) when (watched.IsLost && !context.Response.HasStarted)
        {
            await dialect.Error(UpstreamErrors.For(ChatPipeline.Lost)).ExecuteAsync(context);
        }
        finally
        {
            relay.Close();
            if (relay.Finished && !streaming.IsCompleted)
            {
                await AwaitAnswerBrieflyAsync(streaming, watched, time);
            }

            await ended;
            await ObserveAsync(streaming);
            if (streaming.IsCompletedSuccessfully)
            {
                grains.DeleteObjectReference<IUpstreamStreamObserver>(observer);
            }
            else
            {
                // Cancelled (the client left) or lost, the call ended here but perhaps not on the worker, whose next push
                // must find the observer and fail, so that the worker stops; deleted at once, the push would find no
                // target at all (Orleans logs that as an error) and the worker would learn later.
                _ = DeleteWhenNoPushCanComeAsync(grains, observer, relay, time);
            }
        }

        return false;
    }

    /// <summary>
    /// How long the worker's answer to a stream's call is waited for once the stream's end came by push: it normally
    /// follows within a round trip, as the worker returns once the end's push is answered.
    /// </summary>
    internal static readonly TimeSpan AnswerAfterEndBound = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Waits for the call's own answer, briefly: a rolling update drops an answer routed through a silo that has begun to
    /// stop while the pushes take another route, and the client's response (its last chunk of the HTTP body, and the next
    /// request on its connection) would otherwise wait for the call to be found silent, 20 s later. Given up, the call
    /// ends at once as cancelled; its worker, whose stream has ended and been charged, has nothing left to cancel.
    /// </summary>
    private static async Task AwaitAnswerBrieflyAsync(Task streaming, UpstreamCallWatch.Call watched, TimeProvider time)
    {
        try
        {
            await streaming.WaitAsync(AnswerAfterEndBound, time);
        }
        catch (TimeoutException)
        {
            watched.GiveUp();
        }
        catch (Exception)
        {
            // The call failed after the end: observed below.
        }
    }

    /// <summary>The most a push is waited for (<see cref="IUpstreamStreamObserver.OnChunksAsync"/>'s response timeout).</summary>
    private static readonly TimeSpan LastPushBound = TimeSpan.FromSeconds(2);

    /// <summary>Deletes the observer once a push came and was refused, or once no push of the call can still come.</summary>
    private static async Task DeleteWhenNoPushCanComeAsync(IGrainFactory grains, IUpstreamStreamObserver observer, UpstreamStreamRelay relay, TimeProvider time)
    {
        await Task.WhenAny(relay.RefusedAfterClose, Task.Delay(LastPushBound, time));
        grains.DeleteObjectReference<IUpstreamStreamObserver>(observer);
    }

    private static async IAsyncEnumerable<SseItem<byte[]>> Relay(
        UpstreamChunk first, UpstreamStreamRelay relay, HttpContext context, UpstreamCallWatch.Call watched, ChatStreamRendering rendering, TimeProvider time)
    {
        // The chat path's one event per chunk, a translated dialect's several: each batch written in order, the list reused.
        var events = new List<SseItem<byte[]>>(4);
        rendering.Start(first.Data, events);
        foreach (var item in events)
        {
            yield return item;
        }

        UpstreamChunk? chunk = first;
        while (chunk is { End: false })
        {
            if (chunk.Failure is { } failure)
            {
                yield return rendering.Failure(failure);
                yield break;
            }

            events.Clear();
            rendering.Chunk(chunk.Data!, events);
            foreach (var item in events)
            {
                yield return item;
            }

            var next = NextOrLostAsync(relay, context, watched);
            if (rendering.PingInterval is not { } interval || next.IsCompleted)
            {
                chunk = await next;
                continue;
            }

            // A silent upstream (a model thinking, a long queue) still shows the client a live stream.
            var waiting = next.AsTask();
            while (!waiting.IsCompleted && !context.RequestAborted.IsCancellationRequested)
            {
                using var silence = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                if (await Task.WhenAny(waiting, Task.Delay(interval, time, silence.Token)) != waiting && !context.RequestAborted.IsCancellationRequested)
                {
                    yield return rendering.Ping();
                }

                await silence.CancelAsync();
            }

            chunk = await waiting;
        }

        if (chunk is null)
        {
            // The cluster lost the stream after it began: it ends with an error event, not a bare reset.
            LogStreamLost(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ChatCompletionsApi).FullName!), watched.RequestId);
            yield return rendering.Failure(ChatPipeline.Lost);
            yield break;
        }

        events.Clear();
        rendering.End(events);
        foreach (var item in events)
        {
            yield return item;
        }
    }

    /// <summary>The next chunk; null when the stream was lost (silence from its worker, or its call ended without the end).</summary>
    private static async ValueTask<UpstreamChunk?> NextOrLostAsync(UpstreamStreamRelay relay, HttpContext context, UpstreamCallWatch.Call watched)
    {
        try
        {
            return await relay.NextAsync(watched.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task ObserveAsync(Task streaming)
    {
        try
        {
            await streaming;
        }
        catch (Exception)
        {
            // However the worker's call ended, the client has had its answer: the stream, its failure, or the loss.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream of request {RequestId} lost after it began")]
    private static partial void LogStreamLost(ILogger logger, string requestId);
}
