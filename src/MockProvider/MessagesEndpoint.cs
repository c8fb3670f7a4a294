using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Gateway.MockProvider;

/// <summary>
/// Serves <c>POST /v1/messages</c> and <c>POST /d/{deployment}/v1/messages</c> as Anthropic does, streaming or not: the key
/// in <c>x-api-key</c> (or as a bearer token, as newer SDKs send it) and a known <c>anthropic-version</c> required, errors
/// in Anthropic's shape, with directives and the deployment's queued faults applied as on the chat completions route. Each
/// request it reads is kept, as it came, in the deployment's <see cref="MockDeployment.ReceivedMessages"/>.
/// </summary>
internal sealed class MessagesEndpoint(IOptions<MockProviderOptions> options, MockDeployments deployments, MockHold hold, ILogger logger)
{
    /// <summary>The top-level route, the default deployment's.</summary>
    public Task HandleDefaultAsync(HttpContext context) => HandleAsync(context, deployments.Default);

    /// <summary>The route of a named deployment.</summary>
    public Task HandleDeploymentAsync(HttpContext context) => HandleAsync(context, deployments.FromRoute(context));

    private async Task HandleAsync(HttpContext context, MockDeployment deployment)
    {
        var settings = options.Value;
        if (!IsAuthorized(context.Request, settings.ApiKey))
        {
            await AnthropicError.WriteUnauthorizedAsync(context);
            return;
        }

        var version = context.Request.Headers["anthropic-version"].ToString();
        if (!MockAnthropicVersions.IsKnown(version))
        {
            await AnthropicError.WriteInvalidRequestAsync(context, version.Length == 0
                ? "anthropic-version: header is required"
                : $"anthropic-version: invalid version '{version}'");
            return;
        }

        JsonDocument document;
        try
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var beta = context.Request.Headers["anthropic-beta"];
            var key = context.Request.Headers["x-api-key"];
            deployment.ReceivedMessages.Add(new MockReceivedRequest(body.ToArray(), version, beta.Count == 0 ? null : beta.ToString(),
                context.Request.QueryString.HasValue ? context.Request.QueryString.Value : null, key.Count == 0 ? null : key.ToString()));
            document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
        }
        catch (JsonException)
        {
            await AnthropicError.WriteInvalidRequestAsync(context, "There was an issue with your request body: it is not valid JSON.");
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using (document)
        {
            if (!MessagesRequest.TryParse(document.RootElement, version, out var request, out var error))
            {
                await AnthropicError.WriteInvalidRequestAsync(context, error);
                return;
            }

            await RespondAsync(context, settings, deployment, request);
        }
    }

    private async Task RespondAsync(HttpContext context, MockProviderOptions settings, MockDeployment deployment, MessagesRequest request)
    {
        if (await MockAttempt.BeginAsync(context, settings, deployment, hold, request.Mock, AnthropicError.WriteFailureAsync, logger) is not { } attempt)
        {
            return;
        }

        var (fault, kind, chunkDelay, cutAfterChunks) = attempt;
        if (kind == MockFaultKind.GarbageBody)
        {
            await ChatCompletionsEndpoint.WriteGarbageAsync(context);
            return;
        }

        if (cutAfterChunks is not null && !request.Stream && kind != MockFaultKind.ResetMidBody)
        {
            // A non-streaming answer has no chunks to count, so the cut is the dropped connection itself.
            context.Abort();
            return;
        }

        var answer = MessagesAnswer.For(request, settings.DefaultCompletionTokens);
        if (request.Stream)
        {
            await new MessagesStream(context, chunkDelay, StreamFaults.For(fault, cutAfterChunks), logger).WriteAsync(deployment, answer, request.User);
            return;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, MockJson.WriterOptions))
        {
            MessagesJson.WriteMessage(json, answer, includeUsage: kind != MockFaultKind.NoUsage);
        }

        if (kind is MockFaultKind.ResetMidBody or MockFaultKind.StallMidBody)
        {
            if (await MockConnection.WriteInterruptedAsync(context, buffer.WrittenMemory, fault!, logger))
            {
                deployment.Record(answer.Model, answer.PromptTokens, answer.OutputTokens, request.User);
            }

            return;
        }

        await deployment.WriteServedAsync(
            context, buffer.WrittenMemory, "application/json", answer.Model, answer.PromptTokens, answer.OutputTokens, request.User);
    }

    private static bool IsAuthorized(HttpRequest request, string? apiKey) =>
        string.IsNullOrEmpty(apiKey)
        || request.Headers["x-api-key"] is { Count: 1 } key && key[0] == apiKey
        || MockAuthorization.IsAuthorized(request, apiKey);
}
