using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gateway.MockProvider;

/// <summary>Serves <c>POST /v1/chat/completions</c>, streaming or not, with directives and queued faults applied.</summary>
internal sealed class ChatCompletionsEndpoint
{
    private static readonly TimeSpan CutGrace = TimeSpan.FromMilliseconds(50);

    private readonly IOptions<MockProviderOptions> _options;
    private readonly MockProviderStats _stats;
    private readonly MockFaultQueue _faults;
    private readonly MockHold _hold;

    public ChatCompletionsEndpoint(IOptions<MockProviderOptions> options, MockProviderStats stats, MockFaultQueue faults, MockHold hold)
    {
        _options = options;
        _stats = stats;
        _faults = faults;
        _hold = hold;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var options = _options.Value;
        if (!MockAuthorization.IsAuthorized(context.Request, options.ApiKey))
        {
            await OpenAiError.WriteUnauthorizedAsync(context);
            return;
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException)
        {
            await OpenAiError.WriteInvalidRequestAsync(context, "We could not parse the JSON body of your request.");
            return;
        }
        catch (OperationCanceledException)
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

            await RespondAsync(context, options, request);
        }
    }

    private async Task RespondAsync(HttpContext context, MockProviderOptions options, ChatRequest request)
    {
        var aborted = context.RequestAborted;
        if (!await _hold.PassAsync(aborted))
        {
            return;
        }

        _faults.TryDequeue(out var fault);
        var directives = request.Mock;
        var latency = directives.LatencyMs is int latencyMs
            ? TimeSpan.FromMilliseconds(latencyMs)
            : fault?.Latency ?? options.Latency;
        var chunkDelay = directives.ChunkDelayMs is int chunkDelayMs
            ? TimeSpan.FromMilliseconds(chunkDelayMs)
            : options.ChunkDelay;
        var failStatus = directives.FailStatus ?? fault?.Status;
        var cutAfterChunks = directives.CutAfterChunks ?? fault?.CutAfterChunks;

        if (latency > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(latency, aborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (failStatus is int status)
        {
            await OpenAiError.WriteFailureAsync(context, status, directives.RetryAfter ?? fault?.RetryAfterSeconds);
            return;
        }

        if (cutAfterChunks is not null && !request.Stream)
        {
            // A non-streaming answer has no chunks to count, so the cut is the dropped connection itself.
            context.Abort();
            return;
        }

        var promptTokens = MockUsage.CountPromptTokens(request.Messages);
        var completion = new CompletionPlan(
            MockUsage.CompletionTokens(request.MaxTokens, directives.CompletionTokens, options.DefaultCompletionTokens),
            MockUsage.IsCappedByMaxTokens(request.MaxTokens, directives.CompletionTokens),
            request.N);
        var head = ResponseHead.Create(request.Model);

        if (request.Stream)
        {
            await StreamAsync(context, request, head, promptTokens, completion, chunkDelay, cutAfterChunks);
        }
        else
        {
            await WriteCompletionAsync(context, request, head, promptTokens, completion);
        }
    }

    private async Task WriteCompletionAsync(
        HttpContext context, ChatRequest request, ResponseHead head, int promptTokens, CompletionPlan completion)
    {
        var response = context.Response;
        response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(response.BodyWriter, MockJson.WriterOptions))
        {
            ChatJson.WriteCompletion(json, head, completion, promptTokens);
            if (request.Mock.EchoHeaders)
            {
                ChatJson.WriteEchoedHeaders(json, context.Request.Headers);
            }

            json.WriteEndObject();
        }

        var flushed = await response.BodyWriter.FlushAsync();
        if (flushed.IsCanceled || flushed.IsCompleted || context.RequestAborted.IsCancellationRequested)
        {
            // The caller is gone: the answer was not delivered, so it is not counted as served.
            return;
        }

        _stats.Record(request.Model, promptTokens, completion.TotalTokens, request.User);
    }

    private async Task StreamAsync(
        HttpContext context,
        ChatRequest request,
        ResponseHead head,
        int promptTokens,
        CompletionPlan completion,
        TimeSpan chunkDelay,
        int? cutAfterChunks)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var aborted = context.RequestAborted;
        var body = response.BodyWriter;
        var sentPieces = 0;
        var pace = new Pacer(chunkDelay);
        using var json = new Utf8JsonWriter(body, MockJson.WriterOptions);
        try
        {
            for (var choice = 0; choice < completion.Choices; choice++)
            {
                await pace.WaitAsync(aborted);
                ChatJson.WriteRoleChunk(body, json, head, choice, request.IncludeUsage);
                if (!await FlushAsync(body, aborted))
                {
                    return;
                }
            }

            for (var piece = 0; piece < completion.TokensPerChoice; piece++)
            {
                for (var choice = 0; choice < completion.Choices; choice++)
                {
                    if (sentPieces == cutAfterChunks)
                    {
                        await CutAsync(context);
                        return;
                    }

                    await pace.WaitAsync(aborted);
                    ChatJson.WriteContentChunk(body, json, head, choice, piece, request.IncludeUsage);
                    if (!await FlushAsync(body, aborted))
                    {
                        return;
                    }

                    sentPieces++;
                }
            }

            if (sentPieces == cutAfterChunks)
            {
                await CutAsync(context);
                return;
            }

            for (var choice = 0; choice < completion.Choices; choice++)
            {
                await pace.WaitAsync(aborted);
                ChatJson.WriteFinishChunk(body, json, head, choice, completion.Capped, request.IncludeUsage);
                if (!await FlushAsync(body, aborted))
                {
                    return;
                }
            }

            if (request.IncludeUsage)
            {
                await pace.WaitAsync(aborted);
                ChatJson.WriteUsageChunk(body, json, head, promptTokens, sentPieces);
                if (!await FlushAsync(body, aborted))
                {
                    return;
                }
            }

            await pace.WaitAsync(aborted);
            ChatJson.WriteDone(body);
            await FlushAsync(body, aborted);
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The client left; what it received is still counted below.
        }
        finally
        {
            _stats.Record(request.Model, promptTokens, sentPieces, request.User);
        }
    }

    /// <summary>Sends what was written; false when the client is gone and the stream should end.</summary>
    private static async ValueTask<bool> FlushAsync(PipeWriter body, CancellationToken aborted)
    {
        var result = await body.FlushAsync(aborted);
        return !result.IsCanceled && !result.IsCompleted;
    }

    // Aborting drops whatever the transport has not sent yet; a short grace lets the chunks already flushed reach
    // the peer first, so a cut stream delivers exactly what the mock counted as sent.
    private static async Task CutAsync(HttpContext context)
    {
        await Task.Delay(CutGrace, CancellationToken.None);
        context.Abort();
    }
}
