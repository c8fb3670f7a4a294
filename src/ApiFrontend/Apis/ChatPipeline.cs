using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Caching;
using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Errors;
using Gateway.ApiFrontend.Scheduling;
using Gateway.ApiFrontend.Telemetry;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.ApiFrontend.Apis;

/// <summary>
/// The chat pipeline every dialect's endpoint ends in: admission (reserve), the call through an upstream worker (another
/// worker when one drains), the answer or the stream.
/// </summary>
internal static class ChatPipeline
{
    /// <summary>
    /// Serves a validated chat request, whatever dialect the client spoke: admission (reserve), the worker's upstream call,
    /// the answer rendered by <paramref name="dialect"/>. <paramref name="cacheBody"/> is the body the response cache keys
    /// on, in the client's dialect.
    /// </summary>
    public static async Task<IResult> ServeAsync(HttpContext context, ChatRequest request, ReadOnlyMemory<byte> cacheBody, ChatDialect dialect, ChatServices services)
    {
        var (grains, references, _, watch, idempotent, lostReleases, options, time) = services;
        var frontend = options.Value;
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
        var traceParent = GatewayTracing.RecordedTraceParent(out var traceState);
        var call = new UpstreamRequest(identity.TenantId, requestId, request.ModelId, request.UpstreamBody, request.PromptTokens, request.ClientWantsUsage,
            admission.Chain, admission.ReservedTokens, cache, admission.FairShareWeight, request.Native, admission.OutputCaps, traceParent, traceState);
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

            if (await ChatStreamResponse.StreamAsync(context, grains, upstream, call, watched, dialect, request, time, retryIfDraining: !lastAttempt))
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

    /// <summary>The failure a client is told when the cluster lost its call.</summary>
    public static readonly UpstreamFailure Lost = new(UpstreamFailureKind.Lost);

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
