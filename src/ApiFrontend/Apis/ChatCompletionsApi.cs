using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Caching;
using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Errors;
using Gateway.ApiFrontend.Hosting;
using Gateway.ApiFrontend.Cluster;
using Gateway.ApiFrontend.Scheduling;
using Gateway.ApiFrontend.Telemetry;
using Gateway.Catalog;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Abstractions.Upstream;
using System.Buffers;
using System.Net.ServerSentEvents;
using Microsoft.Extensions.Options;

namespace Gateway.ApiFrontend.Apis;

/// <summary><c>POST /v1/chat/completions</c>: authenticate, validate, admit (reserve), call upstream through a grain, answer.</summary>
public static partial class ChatCompletionsApi
{
    public static RouteGroupBuilder MapChatCompletionsApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", CreateChatCompletion).WithName("CreateChatCompletion")
            .Accepts<Contracts.ChatCompletionRequest>("application/json")
            .Produces<Contracts.ChatCompletionResponse>(StatusCodes.Status200OK, "application/json")
            .WithEventStream<Contracts.ChatCompletionChunk>("The completion; with \"stream\": true, its chunks as server-sent events, then 'data: [DONE]'.")
            .WithErrors(400, 401, 403, 404, 413, 415, 429, 502, 503, 504);
        return v1;
    }

    public static async Task<IResult> CreateChatCompletion(
        HttpContext context,
        IGrainFactory grains,
        GrainReferences references,
        ModelCatalog catalog,
        UpstreamCallWatch watch,
        IdempotentCalls idempotent,
        LostCallReleases lostReleases,
        IOptions<FrontendOptions> options,
        [FromKeyedServices(GatewayClock.Key)] TimeProvider time)
    {
        var body = await RequestBody.ReadAsync(context.Request, options.Value.MaxRequestBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return new OpenAiError(StatusCodes.Status413RequestEntityTooLarge,
                $"The request body is larger than the limit of {options.Value.MaxRequestBodyBytes} bytes.",
                "invalid_request_error", code: "request_too_large");
        }

        var request = ChatRequestParser.Parse(body.Value, catalog, out var error);
        if (request is null)
        {
            return error!;
        }

        return await ServeAsync(context, request, body.Value, OpenAiChatDialect.Instance,
            new ChatServices(grains, references, watch, idempotent, lostReleases, options.Value, time));
    }

    /// <summary>The services the chat pipeline draws on, as the endpoints of every dialect are given them.</summary>
    internal sealed record ChatServices(
        IGrainFactory Grains, GrainReferences References, UpstreamCallWatch Watch, IdempotentCalls Idempotent, LostCallReleases LostReleases,
        FrontendOptions Options, TimeProvider Time);

    /// <summary>
    /// Serves a validated chat request, whatever dialect the client spoke: admission (reserve), the worker's upstream call,
    /// the answer rendered by <paramref name="dialect"/>. <paramref name="cacheBody"/> is the body the response cache keys
    /// on, in the client's dialect.
    /// </summary>
    internal static async Task<IResult> ServeAsync(HttpContext context, ChatRequest request, ReadOnlyMemory<byte> cacheBody, ChatDialect dialect, ChatServices services)
    {
        var (grains, references, watch, idempotent, lostReleases, frontend, time) = services;
        var identity = TenantIdentity.Of(context);
        if (!CacheHeaders.TryRead(context.Request, out var cacheHeaders, out var error))
        {
            return dialect.Error(error!);
        }

        var requestId = RequestIds.Of(context);
        var tenant = references.Get<ITenantGrain>(identity.TenantId);
        request = await LargePrompts.CountAsync(request, tenant, requestId, context.RequestAborted);
        var admit = new AdmissionRequest(requestId, request.ModelId, request.PromptTokens, request.MaxOutputTokens, request.RequestedOutputTokens, request.Choices);
        var admission = await idempotent.RetryAsync(() => tenant.AdmitAsync(admit), context.RequestAborted);
        RateLimitHeaders.Apply(context.Response, admission.RateLimits);
        if (!admission.IsAdmitted)
        {
            return dialect.Error(AdmissionErrors.For(admission, request.ModelId));
        }

        var cache = CacheKeys.Directive(admission.Cache, cacheHeaders, identity.TenantId, request.ModelId, cacheBody, request.Native);
        context.Response.Headers[CacheHeaders.Name] = cache is null ? CacheHeaders.Bypass : CacheHeaders.Miss;
        var call = new UpstreamRequest(identity.TenantId, requestId, request.ModelId, request.UpstreamBody, request.PromptTokens, request.ClientWantsUsage,
            admission.Chain, admission.ReservedTokens, cache, admission.FairShareWeight, request.Native);
        for (var attempt = 0; ; attempt++)
        {
            // A worker on a stopping silo refuses new calls (nothing sent): the next attempt goes to another worker.
            var lastAttempt = attempt == MaxWorkerAttempts - 1;
            var upstream = references.Get<IUpstreamGrain>(WorkerKey(identity.TenantId, frontend.UpstreamWorkerShards, attempt));
            using var watched = watch.Watch(upstream, requestId, context.RequestAborted, pushed: request.Stream);
            if (!request.Stream)
            {
                UpstreamResponse response;
                try
                {
                    response = await upstream.CompleteAsync(call, watched.Token);
                }
                catch (OperationCanceledException) when (watched.IsLost)
                {
                    await lostReleases.ReleaseAsync(tenant, requestId);
                    return dialect.Error(UpstreamErrors.For(Lost));
                }
                catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                {
                    await lostReleases.ReleaseAsync(tenant, requestId);
                    throw;
                }
                catch (OrleansMessageRejectionException) when (!lastAttempt)
                {
                    // Refused by a silo on its way down before the worker had it: nothing was sent, try a worker elsewhere.
                    continue;
                }

                if (response.Failure is { Kind: UpstreamFailureKind.Draining } && !lastAttempt)
                {
                    continue;
                }

                if (response.CacheHit)
                {
                    context.Response.Headers[CacheHeaders.Name] = CacheHeaders.Hit;
                }

                QueueHeader.Apply(context.Response, response.QueuedMs);
                if (response.Failure is { } failure)
                {
                    return dialect.Error(UpstreamErrors.For(failure));
                }

                RequestMetrics.RecordAddedTime(context, response.ProviderTime, stream: false);
                return response.Native ? dialect.NativeCompletion(response.Body!) : dialect.Completion(response.Body!, request, requestId);
            }

            if (await StreamAsync(context, grains, upstream, call, watched, dialect, request, time, retryIfDraining: !lastAttempt))
            {
                continue;
            }

            if (watched.IsLost || context.RequestAborted.IsCancellationRequested)
            {
                await lostReleases.ReleaseAsync(tenant, requestId);
            }

            return Results.Empty;
        }
    }

    private const int MaxWorkerAttempts = 4;

    /// <summary>
    /// Relays the stream the worker pushes to an observer of this request: the first chunk decides between an error
    /// answer (nothing began) and an SSE stream, framed by <see cref="SseFormatter"/>, rendered from OpenAI chunks or relayed
    /// as the provider's own events when it answered natively; a failure after the stream began is
    /// its last event, without <c>[DONE]</c>. True when the worker refused the call before anything was sent and it should
    /// go to another worker.
    /// </summary>
    private static async Task<bool> StreamAsync(
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
                    await dialect.Error(UpstreamErrors.For(first?.Failure ?? Lost)).ExecuteAsync(context);
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
            await dialect.Error(UpstreamErrors.For(Lost)).ExecuteAsync(context);
        }
        finally
        {
            relay.Close();
            await ended;
            await ObserveAsync(streaming);
            grains.DeleteObjectReference<IUpstreamStreamObserver>(observer);
        }

        return false;
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
            yield return rendering.Failure(Lost);
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

    private static readonly UpstreamFailure Lost = new(UpstreamFailureKind.Lost);

    // Requests of one tenant go to one worker key, the same from every frontend (a hash that does not change between
    // processes), so its calls share a gateway connection and meet in one activation, where identical ones make one
    // upstream call (the response cache's single flight); a retry after a draining worker uses a key of its own, whose
    // activation is placed on a silo that is not stopping.
    private static string WorkerKey(string tenantId, int shards, int attempt)
    {
        var hash = 2166136261u;
        foreach (var c in tenantId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        var shard = (hash % (uint)Math.Max(1, shards)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return attempt == 0 ? shard : $"{shard}~{attempt}";
    }
}
