using System.Diagnostics.CodeAnalysis;
using System.Net.Http.Headers;
using Gateway.Catalog;
using Gateway.Catalog.Models;
using Gateway.Catalog.Resilience;
using Gateway.Grains.Abstractions.Routing;
using Gateway.Catalog.Telemetry;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers;
using Gateway.Grains.Providers.Translation;
using Gateway.Grains.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Gets one admitted request answered by some deployment of its model chain: balancing picks a deployment, its capacity is
/// taken, the call runs through the deployment's circuit breaker under the provider's timeouts, and a failure that is worth
/// it is retried (Polly, on the gateway's clock) on another deployment, then on the chain's fallback models. Everything up
/// to the response headers (and a completion's whole body) happens here, before anything reaches the client; so a retry
/// never repeats what a client saw, and one reservation covers every attempt. One per silo.
/// </summary>
public sealed partial class UpstreamCaller
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private const int MaxErrorBodyBytes = 64 * 1024;

    private readonly ModelCatalog _models;
    private readonly ProviderClients _providers;
    private readonly DeploymentHealth _health;
    private readonly DeploymentCapacity _capacity;
    private readonly IOptionsMonitor<UpstreamOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<UpstreamCaller> _logger;
    private (UpstreamRetryOptions Options, ResiliencePipeline<AttemptResult> Pipeline)? _retry;

    public UpstreamCaller(
        ModelCatalog models,
        ProviderClients providers,
        DeploymentHealth health,
        DeploymentCapacity capacity,
        IOptionsMonitor<UpstreamOptions> options,
        [FromKeyedServices(GatewayClock.Key)] TimeProvider time,
        ILogger<UpstreamCaller> logger)
    {
        _models = models;
        _providers = providers;
        _health = health;
        _capacity = capacity;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>An open exchange with the deployment that answered, or why none did. Throws only when <paramref name="cancellationToken"/> fires.</summary>
    public async Task<AttemptResult> SendAsync(UpstreamRequest request, bool stream, CancellationToken cancellationToken)
    {
        var plan = new AttemptPlan(request, _models, _health, _time, _options.CurrentValue.Retry);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await RetryPipeline().ExecuteFirstAttemptAheadAsync(
                static async (context, state) => Outcome.FromResult(await state.Caller.AttemptAsync(state.Plan, state.Stream, context.CancellationToken)),
                context,
                (Caller: this, Plan: plan, Stream: stream),
                static result => result.Retryable);
            outcome.ThrowIfException();
            var result = outcome.Result!;
            if (result.Exchange is { } exchange)
            {
                exchange.Attempts = plan.Attempts;
                exchange.QueuedFor = plan.QueuedFor;
                if (exchange.Deployment.ModelId != request.Model)
                {
                    UpstreamMetrics.RecordFallback(request.Model, exchange.Deployment.ModelId);
                }
            }

            UpstreamMetrics.RecordRetries(request.Model, plan.Attempts - 1);
            return result;
        }
        finally
        {
            plan.ReleaseHeld();
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResiliencePipeline<AttemptResult> RetryPipeline()
    {
        var options = _options.CurrentValue.Retry;
        if (_retry is { } cached && ReferenceEquals(cached.Options, options))
        {
            return cached.Pipeline;
        }

        var builder = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = _time };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<AttemptResult>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result is { Retryable: true }),
            });
        }

        var pipeline = builder.Build();
        _retry = (options, pipeline);
        return pipeline;
    }

    /// <summary>
    /// One attempt: the next deployment of the plan and its capacity, or, when every deployment of the chain is full, a wait
    /// in the first one's fair queue; then the call through its breaker.
    /// </summary>
    private async ValueTask<AttemptResult> AttemptAsync(AttemptPlan plan, bool stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            Deployment deployment;
            CapacityTicket ticket;
            ProviderClient? client;
            byte[]? translated;
            bool native;
            if (plan.Next() is { } next)
            {
                deployment = next;
                if (!_providers.TryGet(deployment.Provider, out client))
                {
                    LogProviderMissing(_logger, deployment.Id, deployment.Provider);
                    plan.Exclude(deployment, new UpstreamFailure(UpstreamFailureKind.NotConfigured, deployment.Provider));
                    continue;
                }

                if (NativeOnly(plan.Request, client) is { } nativeOnly)
                {
                    // Another deployment of the chain may speak the client's dialect; if none does, this is the answer.
                    plan.Exclude(deployment, nativeOnly);
                    continue;
                }

                if (!TryTranslate(plan, deployment, client, out translated, out native, out var refusal))
                {
                    return AttemptResult.Failed(refusal);
                }

                ticket = await _capacity.AcquireAsync(deployment.Id, deployment.Limits, plan.ReservedTokens, cancellationToken);
                if (!ticket.IsAcquired)
                {
                    ticket.Dispose();
                    plan.Full(deployment, ticket.RetryAfter, mayWait: ticket.Refusal is CapacityRefusal.Concurrency or CapacityRefusal.Requests or CapacityRefusal.Tokens);
                    continue;
                }

                plan.ReleaseHeld();
            }
            else if (plan.TakeQueue() is { } full && _providers.TryGet(full.Provider, out client))
            {
                deployment = full;
                if (!TryTranslate(plan, deployment, client, out translated, out native, out var refusal))
                {
                    return AttemptResult.Failed(refusal);
                }

                var request = plan.Request;
                var wait = _capacity.WaitAsync(
                    deployment.Id, deployment.Limits, plan.ReservedTokens, request.TenantId, request.FairShareWeight, plan.QueuePlace, cancellationToken).AsTask();

                // Back in the queue (WaitAsync joins it before it first awaits): what the failed attempt held may go now,
                // to this request first when it is that deployment's.
                plan.ReleaseHeld();
                ticket = await wait;
                if (!ticket.IsAcquired)
                {
                    ticket.Dispose();
                    plan.QueueRefused(ticket.Refusal, ticket.RetryAfter);
                    return AttemptResult.NothingToTry(plan.NothingUsable());
                }

                plan.QueuedFor = (plan.QueuedFor ?? TimeSpan.Zero) + ticket.QueuedFor;
                plan.QueuePlace = ticket.Place;
                UpstreamMetrics.RecordQueueWait(deployment.Id, ticket.QueuedFor);
            }
            else
            {
                return AttemptResult.NothingToTry(plan.NothingUsable());
            }

            var state = _health.Get(deployment.Id);
            var call = ProviderCall.Start(deployment, client.Name, plan.Request.Model);
            AttemptResult result;
            try
            {
                plan.Attempts++;
                var context = ResilienceContextPool.Shared.Get(cancellationToken);
                Outcome<AttemptResult> outcome;
                try
                {
                    outcome = await state.Breaker.ExecuteOutcomeAsync(
                        static async (context, args) => Outcome.FromResult(await args.Caller.CallAsync(args.Plan, args.Deployment, args.State, args.Client, args.Ticket, args.Stream, args.Translated, args.Native, context.CancellationToken)),
                        context,
                        (Caller: this, Plan: plan, Deployment: deployment, State: state, Client: client, Ticket: ticket, Stream: stream, Translated: translated, Native: native));
                }
                finally
                {
                    ResilienceContextPool.Shared.Return(context);
                }

                if (outcome.Exception is BrokenCircuitException)
                {
                    // Opened by another request meanwhile, or a half-open probe is already out: not an attempt, try elsewhere.
                    plan.Attempts--;
                    ticket.Cancel();
                    call.End("circuit_open");
                    plan.Exclude(deployment, null);
                    continue;
                }

                outcome.ThrowIfException();
                result = outcome.Result!;
            }
            catch
            {
                ticket.Cancel();
                call.End("cancelled");
                throw;
            }

            plan.ProviderTime += call.Elapsed;
            if (result.Failure is { } failure)
            {
                call.End(failure);
                state.RecordOutcome(result.CountsAgainstDeployment);
                if (failure is { Kind: UpstreamFailureKind.RateLimited, RetryAfter: { } cooldown })
                {
                    state.CoolDown(cooldown);
                }

                plan.Failed(deployment, failure);
                result.Retryable = result.Retryable && plan.MayRetry();
                if (ticket.WasQueued && result.Retryable && plan.MayQueueAgain)
                {
                    // Its place in the queue is kept: the capacity waits for the next attempt to queue again or go elsewhere.
                    plan.Hold(ticket);
                }
                else
                {
                    // The provider saw the request (it counts in its requests per minute) but used no tokens of ours.
                    ticket.Complete(0);
                }

                return result;
            }

            state.RecordOutcome(failed: false);
            result.Exchange!.Begin(call, plan.ProviderTime);
            return result;
        }
    }

    /// <summary>
    /// Sends the request to one deployment and reads as far as the gateway must before answering the client: the headers
    /// of a stream, the whole body of a completion. Every failure becomes an <see cref="UpstreamFailure"/>; only the caller's
    /// cancellation throws. On success the exchange owns the response, the timers and the ticket. <paramref name="translated"/>
    /// is the Messages body for a provider of kind <c>anthropic</c>, the <c>generateContent</c> body for one of kind
    /// <c>gemini</c>, whose answer is translated back to OpenAI's format; when <paramref name="native"/>, it is the Messages
    /// client's own body, sent with the client's <c>anthropic-version</c> and <c>anthropic-beta</c>, and the answer stays
    /// Anthropic's (its usage read for the charge).
    /// </summary>
    private async Task<AttemptResult> CallAsync(
        AttemptPlan plan, Deployment deployment, DeploymentState state, ProviderClient client, CapacityTicket ticket, bool stream,
        byte[]? translated, bool native, CancellationToken cancellationToken)
    {
        var provider = client.Options;
        var nativeRequest = native ? plan.Request.Native : null;
        var timeouts = new UpstreamTimeouts(provider, _time, cancellationToken);
        state.Enter();
        HttpResponseMessage? response = null;
        var handedOver = false;
        try
        {
            using (var content = new ByteArrayContent(translated ?? ModelField.Insert(plan.Request.Body, deployment.UpstreamModelJson)))
            {
                content.Headers.ContentType = Json;
                response = client.Anthropic is { } anthropic
                    ? await anthropic.MessagesAsync(content, client.Authorization, nativeRequest?.Version ?? client.Options.AnthropicVersion, nativeRequest?.Beta, timeouts.Token)
                    : client.Gemini is { } gemini
                    ? await (stream
                        ? gemini.StreamGenerateContentAsync(deployment.UpstreamModel, content, client.Authorization, timeouts.Token)
                        : gemini.GenerateContentAsync(deployment.UpstreamModel, content, client.Authorization, timeouts.Token))
                    : await client.Api!.ChatCompletionsAsync(content, client.Authorization, timeouts.Token);
            }

            state.RecordFirstByte(timeouts.Elapsed);
            timeouts.Touch();
            if (!response.IsSuccessStatusCode)
            {
                var error = await UpstreamBody.ReadAsync(response.Content, MaxErrorBodyBytes, timeouts, truncate: true) ?? [];
                LogUpstreamStatus(_logger, deployment.Id, (int)response.StatusCode);
                return AttemptResult.Failed(client.Gemini is not null
                    ? GeminiUpstream.FromStatus(response.StatusCode, error, response.Headers, client.Name, _time.GetUtcNow())
                    : UpstreamFailureRules.FromStatus(response.StatusCode, error, response.Headers, client.Name, _time.GetUtcNow()));
            }

            // An SSE reader skips lines that are not fields, so an HTML page or a JSON body would read as a stream that
            // ended before its first event: cut, rather than the bad answer it is.
            if (stream && response.Content.Headers.ContentType?.MediaType is { } mediaType
                && !string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                LogBadResponse(_logger, deployment.Id, $"a stream answered as {mediaType}");
                return AttemptResult.Failed(new UpstreamFailure(UpstreamFailureKind.BadResponse, client.Name));
            }

            byte[]? body = null;
            CompletionUsage.Figures usage = default;
            if (!stream)
            {
                var max = _options.CurrentValue.MaxResponseBytes;
                var raw = await UpstreamBody.ReadAsync(response.Content, max, timeouts, truncate: false);
                var created = _time.GetUtcNow().ToUnixTimeSeconds();
                var read = raw is not null && (translated is null
                    ? CompletionUsage.TryRead(raw, plan.Request.PromptTokens, out usage)
                    : client.Gemini is not null
                    ? GeminiUpstream.TryReadCompletion(raw, deployment.ModelId, created, plan.Request.PromptTokens, out body, out usage)
                    : native
                    ? AnthropicUpstream.TryReadNative(raw, _models.ModelJson(deployment.ModelId), created, plan.Request.PromptTokens, out body, out usage)
                    : AnthropicUpstream.TryReadCompletion(raw, deployment.ModelId, created, plan.Request.PromptTokens, out body, out usage));
                if (!read)
                {
                    LogBadResponse(_logger, deployment.Id, raw is null ? $"body larger than {max} bytes"
                        : translated is null ? "body is not a JSON object"
                        : client.Gemini is not null ? "body is not a generateContent response" : "body is not a Messages response");
                    return AttemptResult.Failed(new UpstreamFailure(UpstreamFailureKind.BadResponse, client.Name));
                }

                body ??= ModelField.Replace(raw!, _models.ModelJson(deployment.ModelId));
            }

            var exchange = new UpstreamExchange(deployment, state, ticket, response, timeouts)
            {
                Body = body,
                Usage = usage,
                Native = native,
                Translation = !stream || translated is null ? null
                    : native ? new AnthropicNativeStream(client.Name, _models.ModelJson(deployment.ModelId))
                    : client.Gemini is not null ? new GeminiEventStream(deployment.ModelId, _time.GetUtcNow().ToUnixTimeSeconds(), client.Name)
                    : new AnthropicEventStream(deployment.ModelId, _time.GetUtcNow().ToUnixTimeSeconds(), client.Name),
            };
            handedOver = true;
            return AttemptResult.Succeeded(exchange);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Refit wraps transport errors in exceptions of its own: the cause is read from the timers, not the exception type.
            var timedOut = timeouts.TimedOut;
            LogUpstreamUnreachable(_logger, deployment.Id, timedOut ? "timed out" : Describe(exception));
            return AttemptResult.Failed(new UpstreamFailure(timedOut ? UpstreamFailureKind.TimedOut : UpstreamFailureKind.Unreachable, client.Name));
        }
        finally
        {
            if (!handedOver)
            {
                response?.Dispose();
                timeouts.Dispose();
                state.Exit();
            }
        }
    }

    // The model's output cap; a model that left the catalog mid-request has none of its own, and only the reservation bounds it.
    /// <summary>
    /// The body in the wire format of <paramref name="client"/>'s kind (null: the OpenAI body as it is), written before
    /// capacity is taken: a request the provider's format cannot carry is the client's 400, and nothing was sent or held.
    /// <paramref name="native"/>: the provider speaks the client's own dialect, and gets the client's body with only its
    /// <c>model</c> rewritten (decided per attempt, so a fallback to a provider of another kind is translated).
    /// </summary>
    private bool TryTranslate(
        AttemptPlan plan, Deployment deployment, ProviderClient client, out byte[]? translated, out bool native, [NotNullWhen(false)] out UpstreamFailure? refusal)
    {
        native = false;
        if (client.Anthropic is not null && plan.Request.Native is { Dialect: IngressDialect.AnthropicMessages } messages)
        {
            // max_tokens needs no cap here: admission validated it against the model's cap and reserved it whole.
            translated = ModelField.Replace(messages.Body, deployment.UpstreamModelJson);
            native = true;
            refusal = null;
            return true;
        }

        if (client.Anthropic is not null)
        {
            return AnthropicUpstream.TryTranslate(plan.Request, deployment, OutputCap(deployment), client, out translated, out refusal);
        }

        if (client.Gemini is not null)
        {
            return GeminiUpstream.TryTranslate(plan.Request, _models.Get(deployment.ModelId), client, out translated, out refusal);
        }

        translated = null;
        refusal = null;
        return true;
    }

    /// <summary>
    /// Why <paramref name="client"/> cannot serve a request whose translation lacks parts of it (a Messages request with a
    /// server tool, for a provider that does not speak Messages): the client's 400, nothing sent; null when it can.
    /// </summary>
    private static UpstreamFailure? NativeOnly(UpstreamRequest request, ProviderClient client) =>
        request.Native is { Untranslatable: { } reason } native && !(native.Dialect == IngressDialect.AnthropicMessages && client.Anthropic is not null)
            ? new UpstreamFailure(UpstreamFailureKind.Untranslatable, client.Name, TranslationRefusal.StatusCode, reason, Code: "unsupported_value")
            : null;

    private int OutputCap(Deployment deployment) =>
        _models.TryResolve(deployment.ModelId, out _, out var model) ? model.MaxOutputTokens : int.MaxValue;

    private static string Describe(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null && inner is not System.Net.Sockets.SocketException)
        {
            inner = inner.InnerException;
        }

        return inner is System.Net.Sockets.SocketException socket ? socket.SocketErrorCode.ToString() : inner.GetType().Name;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Deployment {Deployment} names provider {Provider}, which is not configured")]
    private static partial void LogProviderMissing(ILogger logger, string deployment, string provider);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment} could not be reached ({Reason})")]
    private static partial void LogUpstreamUnreachable(ILogger logger, string deployment, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment} answered {Status}")]
    private static partial void LogUpstreamStatus(ILogger logger, string deployment, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment} sent a bad response ({Reason})")]
    private static partial void LogBadResponse(ILogger logger, string deployment, string reason);
}
