using System.Net.Http.Headers;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers;
using Gateway.Grains.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Upstream;

/// <summary>
/// One attempt's call to one deployment, from the request sent to the exchange handed over (or the failure it became):
/// what <see cref="UpstreamCaller"/> runs inside the deployment's circuit breaker. One per silo, held by the caller.
/// </summary>
internal sealed partial class DeploymentSender(
    IOptionsMonitor<UpstreamOptions> options, TimeProvider time, ILogger logger)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private const int MaxErrorBodyBytes = 64 * 1024;

    /// <summary>
    /// Sends the request to one deployment and reads as far as the gateway must before answering the client: the headers
    /// of a stream, the whole body of a completion. Every failure becomes an <see cref="UpstreamFailure"/>; only the caller's
    /// cancellation throws. On success the exchange owns the response, the timers and the ticket. <paramref name="translated"/>
    /// is the Messages body for a provider of kind <c>anthropic</c>, the <c>generateContent</c> body for one of kind
    /// <c>gemini</c>, whose answer is translated back to OpenAI's format; when <paramref name="native"/>, it is the Messages
    /// client's own body, sent with the client's <c>anthropic-version</c> and <c>anthropic-beta</c> (to the beta endpoint
    /// when the client called it), and the answer stays Anthropic's (its usage read for the charge).
    /// </summary>
    public async Task<AttemptResult> SendAsync(
        AttemptPlan plan, Deployment deployment, DeploymentState state, ProviderClient client, CapacityTicket ticket, bool stream,
        byte[]? translated, bool native, CancellationToken cancellationToken)
    {
        var provider = client.Options;
        var nativeRequest = native ? plan.Request.Native : null;
        var timeouts = new UpstreamTimeouts(provider, time, cancellationToken);
        state.Enter();
        HttpResponseMessage? response = null;
        var handedOver = false;
        try
        {
            using (var content = new ByteArrayContent(translated ?? ModelField.Insert(plan.Request.Body, deployment.UpstreamModelJson)))
            {
                content.Headers.ContentType = Json;
                // Off the grain's turns from here (ConfigureAwait(false)): the answer is read, checked and its capacity given
                // back the moment it arrives, not when the worker's next turn comes (a busy shard of tenants would hold the
                // deployment's slot meanwhile). Nothing below touches the grain's state; what it touches is thread-safe.
                response = await (client.Anthropic is { } anthropic
                    ? anthropic.MessagesAsync(content, client.Authorization, nativeRequest?.Version ?? client.Options.AnthropicVersion, nativeRequest?.Beta,
                        nativeRequest is { BetaEndpoint: true } ? "true" : null, timeouts.Token)
                    : client.Gemini is { } gemini
                    ? (stream
                        ? gemini.StreamGenerateContentAsync(deployment.UpstreamModel, content, client.Authorization, timeouts.Token)
                        : gemini.GenerateContentAsync(deployment.UpstreamModel, content, client.Authorization, timeouts.Token))
                    : client.Api!.ChatCompletionsAsync(content, client.Authorization, timeouts.Token)).ConfigureAwait(false);
            }

            state.RecordFirstByte(timeouts.Elapsed);
            timeouts.Touch();
            if (!response.IsSuccessStatusCode)
            {
                var error = await UpstreamBody.ReadAsync(response.Content, MaxErrorBodyBytes, timeouts, truncate: true).ConfigureAwait(false) ?? [];
                LogUpstreamStatus(logger, deployment.Id, (int)response.StatusCode);
                return AttemptResult.Failed(client.Gemini is not null
                    ? GeminiUpstream.FromStatus(response.StatusCode, error, response.Headers, client.Name, time.GetUtcNow())
                    : UpstreamFailureRules.FromStatus(response.StatusCode, error, response.Headers, client.Name, time.GetUtcNow()));
            }

            // An SSE reader skips lines that are not fields, so an HTML page or a JSON body would read as a stream that
            // ended before its first event: cut, rather than the bad answer it is.
            if (stream && response.Content.Headers.ContentType?.MediaType is { } mediaType
                && !string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                LogBadResponse(logger, deployment.Id, $"a stream answered as {mediaType}");
                return AttemptResult.Failed(new UpstreamFailure(UpstreamFailureKind.BadResponse, client.Name));
            }

            byte[]? body = null;
            CompletionUsage.Figures usage = default;
            if (!stream)
            {
                var max = options.CurrentValue.MaxResponseBytes;
                var raw = await UpstreamBody.ReadAsync(response.Content, max, timeouts, truncate: false).ConfigureAwait(false);
                var created = time.GetUtcNow().ToUnixTimeSeconds();
                var read = raw is not null && (translated is null
                    ? CompletionUsage.TryRead(raw, plan.Request.PromptTokens, out usage)
                    : client.Gemini is not null
                    ? GeminiUpstream.TryReadCompletion(raw, deployment.ModelId, created, plan.Request.PromptTokens, out body, out usage)
                    : native
                    ? AnthropicUpstream.TryReadNative(raw, deployment.ModelIdJson, created, plan.Request.PromptTokens, out body, out usage)
                    : AnthropicUpstream.TryReadCompletion(raw, deployment.ModelId, created, plan.Request.PromptTokens, out body, out usage));
                if (!read)
                {
                    LogBadResponse(logger, deployment.Id, raw is null ? $"body larger than {max} bytes"
                        : translated is null ? "body is not a JSON object"
                        : client.Gemini is not null ? "body is not a generateContent response" : "body is not a Messages response");
                    return AttemptResult.Failed(new UpstreamFailure(UpstreamFailureKind.BadResponse, client.Name));
                }

                body ??= ModelField.Replace(raw!, deployment.ModelIdJson);

                // The provider is done with it: its slot goes to the next request now, not after the settlement (whose
                // tenant grain may be busy with that tenant's flood). The exchange's own completion later is then a no-op.
                ticket.Complete(usage.Total);
            }

            var exchange = new UpstreamExchange(deployment, state, ticket, response, timeouts)
            {
                Body = body,
                Usage = usage,
                Native = native,
                Translation = !stream || translated is null ? null
                    : native ? new AnthropicNativeStream(client.Name, deployment.ModelIdJson)
                    : client.Gemini is not null ? new GeminiEventStream(deployment.ModelId, time.GetUtcNow().ToUnixTimeSeconds(), client.Name)
                    : new AnthropicEventStream(deployment.ModelId, time.GetUtcNow().ToUnixTimeSeconds(), client.Name),
            };
            handedOver = true;
            return AttemptResult.Succeeded(exchange);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Refit wraps transport errors in exceptions of its own: the cause is read from the timers, not the exception type.
            var timedOut = timeouts.TimedOut;
            LogUpstreamUnreachable(logger, deployment.Id, timedOut ? "timed out" : Describe(exception));
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

    private static string Describe(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null && inner is not System.Net.Sockets.SocketException)
        {
            inner = inner.InnerException;
        }

        return inner is System.Net.Sockets.SocketException socket ? socket.SocketErrorCode.ToString() : inner.GetType().Name;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment} could not be reached ({Reason})")]
    private static partial void LogUpstreamUnreachable(ILogger logger, string deployment, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment} answered {Status}")]
    private static partial void LogUpstreamStatus(ILogger logger, string deployment, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Deployment} sent a bad response ({Reason})")]
    private static partial void LogBadResponse(ILogger logger, string deployment, string reason);
}
