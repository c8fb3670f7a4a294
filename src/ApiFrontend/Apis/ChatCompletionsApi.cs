using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Errors;
using Gateway.ApiFrontend.Hosting;
using Gateway.ApiFrontend.Cluster;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Models;
using Gateway.Grains.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.ApiFrontend.Apis;

/// <summary><c>POST /v1/chat/completions</c>: authenticate, validate, admit (reserve), call upstream through a grain, answer.</summary>
public static partial class ChatCompletionsApi
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public static RouteGroupBuilder MapChatCompletionsApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", CreateChatCompletion).WithName("CreateChatCompletion");
        return v1;
    }

    public static async Task<IResult> CreateChatCompletion(
        HttpContext context,
        IGrainFactory grains,
        ModelCatalog catalog,
        UpstreamCallWatch watch,
        IdempotentCalls idempotent,
        IOptions<FrontendOptions> options)
    {
        var identity = TenantIdentity.Of(context);
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

        var requestId = RequestIds.Of(context);
        var tenant = grains.GetGrain<ITenantGrain>(identity.TenantId);
        var admit = new AdmissionRequest(requestId, request.ModelId, request.PromptTokens, request.MaxOutputTokens);
        var admission = await idempotent.RetryAsync(() => tenant.AdmitAsync(admit), context.RequestAborted);
        RateLimitHeaders.Apply(context.Response, admission.RateLimits);
        if (!admission.IsAdmitted)
        {
            return AdmissionErrors.For(admission, request.ModelId);
        }

        var call = new UpstreamRequest(identity.TenantId, requestId, request.ModelId, request.UpstreamBody, request.PromptTokens, request.ClientWantsUsage);
        for (var attempt = 0; ; attempt++)
        {
            // A worker on a stopping silo refuses new calls (nothing sent): the next attempt goes to another worker.
            var lastAttempt = attempt == MaxWorkerAttempts - 1;
            var upstream = grains.GetGrain<IUpstreamGrain>(WorkerKey(identity.TenantId, options.Value.UpstreamWorkerShards, attempt));
            using var watched = watch.Watch(upstream, requestId, context.RequestAborted);
            if (!request.Stream)
            {
                UpstreamResponse response;
                try
                {
                    response = await upstream.CompleteAsync(call, watched.Token);
                }
                catch (OperationCanceledException) when (watched.IsLost)
                {
                    await ReleaseLostAsync(tenant, requestId);
                    return ToError(Lost);
                }

                if (response.Failure is { Code: UpstreamDrain.WorkerDraining } && !lastAttempt)
                {
                    continue;
                }

                return response.Failure is { } failure
                    ? ToError(failure)
                    : TypedResults.Bytes(response.Body!, "application/json");
            }

            if (await StreamAsync(context, upstream, call, watched, retryIfDraining: !lastAttempt))
            {
                continue;
            }

            if (watched.IsLost)
            {
                await ReleaseLostAsync(tenant, requestId);
            }

            return Results.Empty;
        }
    }

    private const int MaxWorkerAttempts = 4;

    /// <summary>
    /// A call lost with its silo is not charged: its reservation is given back now rather than held until it expires.
    /// Should the call still be running somewhere after all, its settlement charges it anyway (idempotent by id).
    /// </summary>
    private static async Task ReleaseLostAsync(ITenantGrain tenant, string requestId)
    {
        try
        {
            await tenant.ReleaseAsync(requestId);
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException)
        {
            // The tenant is unreachable too: the reservation expires by itself.
        }
    }

    /// <summary>Relays the stream; true when the worker refused it before anything was sent and it should go elsewhere.</summary>
    private static async Task<bool> StreamAsync(HttpContext context, IUpstreamGrain upstream, UpstreamRequest call, UpstreamCallWatch.Call watched, bool retryIfDraining)
    {
        var response = context.Response;
        var started = false;
        try
        {
            await foreach (var chunk in upstream.StreamAsync(call, watched.Token).WithCancellation(watched.Token))
            {
                if (chunk.Failure is { } failure)
                {
                    if (!started && retryIfDraining && failure.Code == UpstreamDrain.WorkerDraining)
                    {
                        return true;
                    }

                    if (!started)
                    {
                        await ToError(failure).ExecuteAsync(context);
                        return false;
                    }

                    // Headers are gone: the error travels as a last event, and no [DONE] follows.
                    await response.Body.WriteAsync(DataPrefix, context.RequestAborted);
                    await response.Body.WriteAsync(ErrorEvent(failure), context.RequestAborted);
                    await response.Body.WriteAsync(EventEnd, context.RequestAborted);
                    return false;
                }

                if (!started)
                {
                    started = true;
                    response.ContentType = "text/event-stream";
                    response.Headers.CacheControl = "no-cache";
                    response.Headers["X-Accel-Buffering"] = "no";
                }

                await response.Body.WriteAsync(DataPrefix, context.RequestAborted);
                await response.Body.WriteAsync(chunk.Data, context.RequestAborted);
                await response.Body.WriteAsync(EventEnd, context.RequestAborted);
                await response.Body.FlushAsync(context.RequestAborted);
            }

            if (!started)
            {
                response.ContentType = "text/event-stream";
            }

            await response.Body.WriteAsync(Done, context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the worker charges what was streamed.
        }
        catch (Exception exception) when (!started && (watched.IsLost || exception is EnumerationAbortedException))
        {
            // The worker's activation went away before the stream began (its silo died, or a duplicate activation
            // was retired while the cluster settled): whatever it started is settled or released by the worker.
            await ToError(Lost).ExecuteAsync(context);
        }
        catch (Exception exception) when (started && (watched.IsLost || exception is OrleansException or TimeoutException or EnumerationAbortedException))
        {
            // The cluster lost the stream after its headers went out: end it with an error event, not a bare reset.
            LogStreamLost(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ChatCompletionsApi).FullName!),
                call.RequestId, exception.GetType().Name);
            await response.Body.WriteAsync(DataPrefix, context.RequestAborted);
            await response.Body.WriteAsync(ErrorEvent(StreamLost), context.RequestAborted);
            await response.Body.WriteAsync(EventEnd, context.RequestAborted);
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream of request {RequestId} lost after it began ({ExceptionType})")]
    private static partial void LogStreamLost(ILogger logger, string requestId, string exceptionType);

    private static readonly UpstreamFailure Lost =
        new(StatusCodes.Status503ServiceUnavailable, "server_error", "upstream_lost",
            "The gateway lost this request when one of its nodes stopped, before the answer began. Please retry.", TimeSpan.FromSeconds(1));

    private static readonly UpstreamFailure StreamLost =
        new(StatusCodes.Status502BadGateway, "server_error", "stream_interrupted", "The gateway lost the stream; it was not completed.", null);

    private static OpenAiError ToError(UpstreamFailure failure) =>
        new(failure.StatusCode, failure.Message, failure.Type, code: failure.Code, retryAfter: failure.RetryAfter);

    private static byte[] ErrorEvent(UpstreamFailure failure)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", failure.Message);
            writer.WriteString("type", failure.Type);
            writer.WriteNull("param");
            writer.WriteString("code", failure.Code);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    // Requests of one tenant go to one worker key, so its calls from a client-mode frontend share a gateway connection;
    // a retry after a draining worker uses a key of its own, whose activation is placed on a silo that is not stopping.
    private static string WorkerKey(string tenantId, int shards, int attempt)
    {
        var shard = ((uint)StringComparer.Ordinal.GetHashCode(tenantId) % (uint)Math.Max(1, shards)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return attempt == 0 ? shard : $"{shard}~{attempt}";
    }
}
