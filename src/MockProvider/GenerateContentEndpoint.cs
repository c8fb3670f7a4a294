using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Gateway.MockProvider;

/// <summary>
/// Serves Gemini's <c>POST /v1beta/models/{model}:generateContent</c> and <c>:streamGenerateContent</c> (server-sent
/// events with <c>alt=sse</c>), also under <c>/d/{deployment}</c>: the key in <c>x-goog-api-key</c> (or <c>?key=</c>)
/// required, errors in Gemini's shape, with directives and the deployment's queued faults applied as on the other routes.
/// </summary>
internal sealed class GenerateContentEndpoint(IOptions<MockProviderOptions> options, MockDeployments deployments, MockHold hold, ILogger logger)
{
    /// <summary>The route parameter holding <c>{model}:{method}</c>, one path segment.</summary>
    public const string CallParameter = "call";

    /// <summary>The top-level route, the default deployment's.</summary>
    public Task HandleDefaultAsync(HttpContext context) => HandleAsync(context, deployments.Default);

    /// <summary>The route of a named deployment.</summary>
    public Task HandleDeploymentAsync(HttpContext context) => HandleAsync(context, deployments.FromRoute(context));

    private async Task HandleAsync(HttpContext context, MockDeployment deployment)
    {
        var call = context.Request.RouteValues[CallParameter] as string ?? "";
        var colon = call.LastIndexOf(':');
        var (model, method) = colon > 0 ? (call[..colon], call[(colon + 1)..]) : (call, "");
        if (method is not ("generateContent" or "streamGenerateContent"))
        {
            await GoogleError.WriteAsync(context, StatusCodes.Status404NotFound, $"Method '{method}' is not found for models/{model}.");
            return;
        }

        var settings = options.Value;
        var key = context.Request.Headers["x-goog-api-key"] is { Count: 1 } header ? header[0] : context.Request.Query["key"].ToString();
        if (!string.IsNullOrEmpty(settings.ApiKey) && key != settings.ApiKey)
        {
            await GoogleError.WriteUnauthorizedAsync(context, keyMissing: string.IsNullOrEmpty(key));
            return;
        }

        // Without alt=sse Gemini streams one JSON array; the mock speaks only the server-sent events the gateway asks for.
        var stream = method == "streamGenerateContent";
        if (stream && context.Request.Query["alt"] != "sse")
        {
            await GoogleError.WriteInvalidArgumentAsync(context, "The mock streams only with alt=sse.");
            return;
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException)
        {
            await GoogleError.WriteInvalidArgumentAsync(context, "Invalid JSON payload received.");
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using (document)
        {
            if (!GenerateContentRequest.TryParse(document.RootElement, model, out var request, out var error))
            {
                await GoogleError.WriteInvalidArgumentAsync(context, error);
                return;
            }

            await RespondAsync(context, settings, deployment, request, stream);
        }
    }

    private async Task RespondAsync(HttpContext context, MockProviderOptions settings, MockDeployment deployment, GenerateContentRequest request, bool stream)
    {
        if (await MockAttempt.BeginAsync(context, settings, deployment, hold, request.Mock, GoogleError.WriteFailureAsync, logger) is not { } attempt)
        {
            return;
        }

        var (fault, kind, chunkDelay, cutAfterChunks) = attempt;
        if (kind == MockFaultKind.GarbageBody || (cutAfterChunks is not null && !stream))
        {
            // Nothing usable: a non-streaming answer has no chunks to count, so its cut is the dropped connection itself.
            context.Abort();
            return;
        }

        var answer = GenerateContentAnswer.For(request, settings.DefaultCompletionTokens);
        if (kind == MockFaultKind.OversizeBody)
        {
            // About four bytes a token: text enough for a body of at least that size, its usage counting it.
            answer = answer with { TextTokens = ((fault!.BodyBytes ?? MockFault.DefaultBodyBytes) + 3) / 4, Capped = false };
        }
        if (stream)
        {
            await new GenerateContentStream(context, chunkDelay, StreamFaults.For(fault, cutAfterChunks), logger).WriteAsync(deployment, answer);
            return;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, MockJson.WriterOptions))
        {
            GenerateContentJson.WriteResponse(json, answer, includeUsage: kind != MockFaultKind.NoUsage);
        }

        await deployment.WriteServedAsync(
            context, buffer.WrittenMemory, "application/json; charset=UTF-8", answer.Model, answer.PromptTokens, answer.OutputTokens, user: null);
    }
}
