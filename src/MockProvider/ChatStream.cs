using System.IO.Pipelines;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// One streamed chat completion, with its <see cref="StreamFaults"/> applied. A class rather than a method because
/// the counters and the burst hold are state that has to survive the awaits between events.
/// </summary>
internal sealed class ChatStream
{
    // Aborting drops whatever the transport has not sent yet; a short grace lets the chunks already flushed reach
    // the peer first, so a cut stream delivers exactly what the mock counted as sent.
    private static readonly TimeSpan CutGrace = TimeSpan.FromMilliseconds(50);

    private readonly HttpContext _context;
    private readonly PipeWriter _body;
    private readonly CancellationToken _aborted;
    private readonly StreamFaults _faults;
    private readonly ILogger _logger;
    private Pacer _pace;
    private int _events;
    private int _written;
    private int _delivered;

    public ChatStream(HttpContext context, TimeSpan chunkDelay, StreamFaults faults, ILogger logger)
    {
        _context = context;
        _body = context.Response.BodyWriter;
        _aborted = context.RequestAborted;
        _faults = faults;
        _logger = logger;
        _pace = new Pacer(chunkDelay);
    }

    /// <summary>Streams the completion and counts what reached the client, even when it left or a fault cut it short.</summary>
    public async Task WriteAsync(
        MockDeployment deployment, ChatRequest request, ResponseHead head, int promptTokens, CompletionPlan completion)
    {
        var response = _context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var usage = request.IncludeUsage && !_faults.NoUsage;

        // An oversize stream sends each choice's whole text as one event instead of one event per token.
        var wholeText = _faults.Oversize ? MockUsage.CompletionUtf8(completion.TokensPerChoice).ToArray() : null;
        var chunksPerChoice = wholeText is null ? completion.TokensPerChoice : 1;
        var tokensPerChunk = wholeText is null ? 1 : completion.TokensPerChoice;

        using var json = new Utf8JsonWriter(_body, MockJson.WriterOptions);
        try
        {
            for (var choice = 0; choice < completion.Choices; choice++)
            {
                await PaceAsync();
                ChatJson.WriteRoleChunk(_body, json, head, choice, usage);
                if (!await SendAsync())
                {
                    return;
                }
            }

            for (var chunk = 0; chunk < chunksPerChoice; chunk++)
            {
                for (var choice = 0; choice < completion.Choices; choice++)
                {
                    if (!await PassMarksAsync(end: false))
                    {
                        return;
                    }

                    await PaceAsync();
                    if (wholeText is null)
                    {
                        ChatJson.WriteContentChunk(_body, json, head, choice, chunk, usage);
                    }
                    else
                    {
                        ChatJson.WriteContentChunk(_body, json, head, choice, wholeText, usage);
                    }

                    _written++;
                    if (!await SendAsync())
                    {
                        return;
                    }
                }
            }

            if (!await PassMarksAsync(end: true))
            {
                return;
            }

            for (var choice = 0; choice < completion.Choices; choice++)
            {
                await PaceAsync();
                ChatJson.WriteFinishChunk(_body, json, head, choice, completion.Capped, usage);
                if (!await SendAsync())
                {
                    return;
                }
            }

            if (usage)
            {
                await PaceAsync();
                ChatJson.WriteUsageChunk(_body, json, head, promptTokens, _written * tokensPerChunk);
                if (!await SendAsync())
                {
                    return;
                }
            }

            await PaceAsync();
            ChatJson.WriteDone(_body);

            // A burst longer than the stream would otherwise still hold the last events.
            await FlushAsync();
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The client left; what it received is still counted below.
        }
        finally
        {
            deployment.Record(request.Model, promptTokens, _delivered * tokensPerChunk, request.User);
        }
    }

    // Events of a burst go out together, so no delay between them.
    private Task PaceAsync() => _events < _faults.BurstEvents ? Task.CompletedTask : _pace.WaitAsync(_aborted);

    /// <summary>Sends the event just written, or holds it for the burst; false when the stream must end.</summary>
    private async ValueTask<bool> SendAsync()
    {
        _events++;
        if (_events < _faults.BurstEvents)
        {
            return true;
        }

        if (!await FlushAsync())
        {
            return false;
        }

        return _events != _faults.BurstEvents || await MockConnection.StallAsync(_faults.Stall, _aborted);
    }

    /// <summary>Applies the faults placed after the content chunks sent so far; false when the stream must end.</summary>
    private async ValueTask<bool> PassMarksAsync(bool end)
    {
        if (StreamFaults.IsDue(_faults.GarbageAfterChunks, _written, end))
        {
            ChatJson.WriteGarbageEvent(_body);
            if (!await FlushAsync())
            {
                return false;
            }
        }

        if (StreamFaults.IsDue(_faults.StallAfterChunks, _written, end)
            && (!await FlushAsync() || !await MockConnection.StallAsync(_faults.Stall, _aborted)))
        {
            return false;
        }

        if (StreamFaults.IsDue(_faults.CutAfterChunks, _written, end))
        {
            await CutAsync();
            return false;
        }

        return true;
    }

    private async Task CutAsync()
    {
        if (!await FlushAsync())
        {
            return;
        }

        await Task.Delay(CutGrace, CancellationToken.None);
        if (_faults.ResetOnCut)
        {
            MockConnection.Reset(_context, _logger);
        }
        else
        {
            _context.Abort();
        }
    }

    /// <summary>Sends what was written; false when the client is gone and the stream should end.</summary>
    private async ValueTask<bool> FlushAsync()
    {
        var result = await _body.FlushAsync(_aborted);
        if (result.IsCanceled || result.IsCompleted)
        {
            return false;
        }

        _delivered = _written;
        return true;
    }
}
