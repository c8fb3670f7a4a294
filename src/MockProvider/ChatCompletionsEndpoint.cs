using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Gateway.MockProvider;

/// <summary>
/// Serves <c>POST /v1/chat/completions</c> and <c>POST /d/{deployment}/v1/chat/completions</c>, streaming or not,
/// with directives and the deployment's queued faults applied.
/// </summary>
internal sealed class ChatCompletionsEndpoint
{
    private static readonly byte[] _garbageBody = "<html><body>upstream exploded</body></html>"u8.ToArray();

    private readonly IOptions<MockProviderOptions> _options;
    private readonly MockDeployments _deployments;
    private readonly MockHold _hold;
    private readonly ILogger _logger;

    public ChatCompletionsEndpoint(IOptions<MockProviderOptions> options, MockDeployments deployments, MockHold hold, ILogger logger)
    {
        _options = options;
        _deployments = deployments;
        _hold = hold;
        _logger = logger;
    }

    /// <summary>The top-level route; bound to the default deployment once, so it costs no lookup per request.</summary>
    public Task HandleDefaultAsync(HttpContext context) => HandleAsync(context, _deployments.Default);

    /// <summary>The route of a named deployment.</summary>
    public Task HandleDeploymentAsync(HttpContext context) => HandleAsync(context, _deployments.FromRoute(context));

    private async Task HandleAsync(HttpContext context, MockDeployment deployment)
    {
        var options = _options.Value;
        if (!MockAuthorization.IsAuthorized(context.Request, options.ApiKey))
        {
            await OpenAiError.WriteUnauthorizedAsync(context);
            return;
        }

        if (await MockJson.ReadBodyAsync(context) is not { } document)
        {
            return;
        }

        using (document)
        {
            if (!ChatRequest.TryParse(document.RootElement, out var request, out var error))
            {
                await OpenAiError.WriteInvalidRequestAsync(context, error);
                return;
            }

            deployment.Enter();
            try
            {
                await RespondAsync(context, options, deployment, request);
            }
            finally
            {
                deployment.Leave();
            }
        }
    }

    private async Task RespondAsync(HttpContext context, MockProviderOptions options, MockDeployment deployment, ChatRequest request)
    {
        var aborted = context.RequestAborted;
        if (!await _hold.PassAsync(aborted))
        {
            return;
        }

        deployment.Faults.TryDequeue(out var fault);
        var kind = fault?.Kind ?? MockFaultKind.None;
        var directives = request.Mock;
        var latency = directives.LatencyMs is int latencyMs
            ? TimeSpan.FromMilliseconds(latencyMs)
            : fault?.Latency ?? deployment.Latency ?? options.Latency;
        var chunkDelay = directives.ChunkDelayMs is int chunkDelayMs
            ? TimeSpan.FromMilliseconds(chunkDelayMs)
            : deployment.ChunkDelay ?? options.ChunkDelay;
        var failStatus = directives.FailStatus ?? fault?.Status;
        var cutAfterChunks = directives.CutAfterChunks ?? fault?.CutAfterChunks;

        if (latency > TimeSpan.Zero && !await MockConnection.StallAsync(latency, aborted))
        {
            return;
        }

        if (kind == MockFaultKind.ResetBeforeHeaders)
        {
            MockConnection.Reset(context, _logger);
            return;
        }

        if (kind == MockFaultKind.StallBeforeHeaders && !await MockConnection.StallAsync(fault!.Stall, aborted))
        {
            return;
        }

        if (failStatus is int status)
        {
            await OpenAiError.WriteFailureAsync(
                context,
                status,
                directives.RetryAfter ?? fault?.RetryAfterSeconds,
                fault?.RetryAfterMilliseconds,
                fault?.ErrorBody ?? MockErrorBody.Json,
                fault?.Message);
            return;
        }

        if (kind == MockFaultKind.GarbageBody)
        {
            await WriteGarbageAsync(context);
            return;
        }

        if (cutAfterChunks is not null && !request.Stream && kind != MockFaultKind.ResetMidBody)
        {
            // A non-streaming answer has no chunks to count, so the cut is the dropped connection itself.
            context.Abort();
            return;
        }

        var promptTokens = MockTokenCount.CountPromptTokens(request.Messages) + (directives.CacheReadTokens ?? 0);
        var completion = kind == MockFaultKind.OversizeBody
            ? new CompletionPlan(OversizeTokens(fault!.BodyBytes ?? MockFault.DefaultBodyBytes), false, request.N)
            : new CompletionPlan(
                MockUsage.CompletionTokens(request.MaxTokens, directives.CompletionTokens, options.DefaultCompletionTokens),
                MockUsage.IsCappedByMaxTokens(request.MaxTokens, directives.CompletionTokens),
                request.N,
                directives.CacheReadTokens ?? 0,
                directives.ReasoningTokens ?? 0);
        var head = ResponseHead.Create(request.Model);

        if (request.Stream)
        {
            var stream = new ChatStream(context, chunkDelay, StreamFaults.For(fault, cutAfterChunks), _logger);
            await stream.WriteAsync(deployment, request, head, promptTokens, completion);
        }
        else if (kind is MockFaultKind.ResetMidBody or MockFaultKind.StallMidBody)
        {
            await WriteInterruptedCompletionAsync(context, deployment, request, head, promptTokens, completion, fault!);
        }
        else
        {
            await WriteCompletionAsync(context, deployment, request, head, promptTokens, completion, kind != MockFaultKind.NoUsage);
        }
    }

    private static async Task WriteCompletionAsync(
        HttpContext context,
        MockDeployment deployment,
        ChatRequest request,
        ResponseHead head,
        int promptTokens,
        CompletionPlan completion,
        bool includeUsage)
    {
        var response = context.Response;
        response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(response.BodyWriter, MockJson.WriterOptions))
        {
            WriteCompletionObject(context, json, request, head, promptTokens, completion, includeUsage);
        }

        var flushed = await response.BodyWriter.FlushAsync();
        if (flushed.IsCanceled || flushed.IsCompleted || context.RequestAborted.IsCancellationRequested)
        {
            // The caller is gone: the answer was not delivered, so it is not counted as served.
            return;
        }

        deployment.Record(request.Model, promptTokens, completion.TotalTokens, request.User);
    }

    /// <summary>Only a body that arrived whole counts as served (see <see cref="MockConnection.WriteInterruptedAsync"/>).</summary>
    private async Task WriteInterruptedCompletionAsync(
        HttpContext context,
        MockDeployment deployment,
        ChatRequest request,
        ResponseHead head,
        int promptTokens,
        CompletionPlan completion,
        MockFault fault)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, MockJson.WriterOptions))
        {
            WriteCompletionObject(context, json, request, head, promptTokens, completion, includeUsage: true);
        }

        if (await MockConnection.WriteInterruptedAsync(context, buffer.WrittenMemory, fault, _logger))
        {
            deployment.Record(request.Model, promptTokens, completion.TotalTokens, request.User);
        }
    }

    private static void WriteCompletionObject(
        HttpContext context,
        Utf8JsonWriter json,
        ChatRequest request,
        ResponseHead head,
        int promptTokens,
        CompletionPlan completion,
        bool includeUsage)
    {
        ChatJson.WriteCompletion(json, head, completion, promptTokens, includeUsage);
        if (request.Mock.EchoHeaders)
        {
            ChatJson.WriteEchoedHeaders(json, context.Request.Headers);
        }

        json.WriteEndObject();
    }

    /// <summary>Not counted as served: nothing a client could use was delivered.</summary>
    internal static async Task WriteGarbageAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "application/json";
        response.ContentLength = _garbageBody.Length;
        try
        {
            await response.Body.WriteAsync(_garbageBody, context.RequestAborted);
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The client left; there is nothing to count either way.
        }
    }

    // Every piece of the mock's text is at least 4 bytes, so this many tokens make at least that many bytes.
    private static int OversizeTokens(int bodyBytes) => (bodyBytes + 3) / 4;
}
