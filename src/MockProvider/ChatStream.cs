using System.IO.Pipelines;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>One streamed chat completion, its events sent through an <see cref="EventStreamTransport"/>.</summary>
internal sealed class ChatStream
{
    private readonly HttpContext _context;
    private readonly PipeWriter _body;
    private readonly EventStreamTransport _transport;

    public ChatStream(HttpContext context, TimeSpan chunkDelay, StreamFaults faults, ILogger logger)
    {
        _context = context;
        _transport = new EventStreamTransport(context, chunkDelay, faults, logger);
        _body = _transport.Body;
    }

    /// <summary>Streams the completion and counts what reached the client, even when it left or a fault cut it short.</summary>
    public async Task WriteAsync(
        MockDeployment deployment, ChatRequest request, ResponseHead head, int promptTokens, CompletionPlan completion)
    {
        var response = _context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var usage = request.IncludeUsage && !_transport.Faults.NoUsage;

        // An oversize stream sends each choice's whole text as one event instead of one event per token.
        var wholeText = _transport.Faults.Oversize ? MockUsage.CompletionUtf8(completion.TokensPerChoice).ToArray() : null;
        var chunksPerChoice = wholeText is null ? completion.TokensPerChoice : 1;
        var tokensPerChunk = wholeText is null ? 1 : completion.TokensPerChoice;

        using var json = new Utf8JsonWriter(_body, MockJson.WriterOptions);
        var completed = false;
        int? recorded = null;
        try
        {
            for (var choice = 0; choice < completion.Choices; choice++)
            {
                await _transport.PaceAsync();
                ChatJson.WriteRoleChunk(_body, json, head, choice, usage);
                if (!await _transport.SendAsync())
                {
                    return;
                }
            }

            for (var chunk = 0; chunk < chunksPerChoice; chunk++)
            {
                for (var choice = 0; choice < completion.Choices; choice++)
                {
                    if (!await _transport.PassMarksAsync(end: false, ChatJson.WriteGarbageEvent))
                    {
                        return;
                    }

                    await _transport.PaceAsync();
                    if (wholeText is null)
                    {
                        ChatJson.WriteContentChunk(_body, json, head, choice, chunk, usage);
                    }
                    else
                    {
                        ChatJson.WriteContentChunk(_body, json, head, choice, wholeText, usage);
                    }

                    _transport.WroteContent();
                    if (!await _transport.SendAsync())
                    {
                        return;
                    }
                }
            }

            if (!await _transport.PassMarksAsync(end: true, ChatJson.WriteGarbageEvent))
            {
                return;
            }

            for (var choice = 0; choice < completion.Choices; choice++)
            {
                await _transport.PaceAsync();
                ChatJson.WriteFinishChunk(_body, json, head, choice, completion.Capped, usage);
                if (!await _transport.SendAsync())
                {
                    return;
                }
            }

            if (usage)
            {
                await _transport.PaceAsync();
                ChatJson.WriteUsageChunk(_body, json, head, promptTokens, _transport.Written * tokensPerChunk, completion);
                if (!await _transport.SendAsync())
                {
                    return;
                }
            }

            await _transport.PaceAsync();

            // Counted before the end marker can leave (a caller that has it may read the counts at once); taken back
            // below if the stream does not end after all.
            recorded = _transport.Written * tokensPerChunk;
            deployment.Record(request.Model, promptTokens, recorded.Value, request.User);
            ChatJson.WriteDone(_body);

            // A burst longer than the stream would otherwise still hold the last events.
            completed = await _transport.FlushAsync();
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The client left; what it received is still counted below.
        }
        finally
        {
            if (!completed)
            {
                if (recorded is { } counted)
                {
                    deployment.Retract(request.Model, promptTokens, counted, request.User);
                }

                deployment.Record(request.Model, promptTokens, _transport.Delivered * tokensPerChunk, request.User);
            }
        }
    }
}
