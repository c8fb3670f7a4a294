using System.IO.Pipelines;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// One streamed <c>generateContent</c> answer as Gemini streams it with <c>alt=sse</c>: every event a whole response
/// holding the next parts and the running usage (the prompt in full, the candidates and thoughts so far), framed with
/// CRLF; one event per thought and text token, one per function call (Gemini sends a call whole), then the last event with
/// the finish reason and the final usage. There is no end event: the body just ends. Every part event is a content event
/// for the <see cref="StreamFaults"/>.
/// </summary>
internal sealed class GenerateContentStream
{
    private readonly HttpContext _context;
    private readonly EventStreamTransport _transport;
    private readonly PipeWriter _body;
    private readonly List<int> _contentTokens = [];
    private readonly bool _usage;
    private int _candidates;
    private int _thoughts;

    public GenerateContentStream(HttpContext context, TimeSpan chunkDelay, StreamFaults faults, ILogger logger)
    {
        _context = context;
        _transport = new EventStreamTransport(context, chunkDelay, faults, logger);
        _body = _transport.Body;
        _usage = !faults.NoUsage;
    }

    /// <summary>Streams the answer and counts what reached the client, even when it left or a fault cut it short.</summary>
    public async Task WriteAsync(MockDeployment deployment, GenerateContentAnswer answer)
    {
        var response = _context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var completed = false;
        using var json = new Utf8JsonWriter(_body, MockJson.WriterOptions);
        try
        {
            if (answer.Blocked)
            {
                completed = await EventAsync(json, () => GenerateContentJson.WriteBlocked(json, answer, _usage)) && await _transport.FlushAsync();
                return;
            }

            // Gemini reports the thoughts' count whole with the first event, whether or not their text is included.
            _thoughts = answer.ThoughtsTokens;
            for (var piece = 0; answer.IncludeThoughts && piece < answer.ThoughtsTokens; piece++)
            {
                var text = MockUsage.PieceUtf8(piece).ToArray();
                if (!await ContentAsync(json, answer, w => GenerateContentJson.WriteTextPart(w, text, thought: true), tokens: 0))
                {
                    return;
                }
            }

            if (_transport.Faults.Oversize)
            {
                // The whole text in one huge event.
                var whole = MockUsage.CompletionUtf8(answer.TextTokens).ToArray();
                if (!await ContentAsync(json, answer, w => GenerateContentJson.WriteTextPart(w, whole, thought: false), answer.TextTokens))
                {
                    return;
                }
            }

            for (var piece = 0; !_transport.Faults.Oversize && piece < answer.TextTokens; piece++)
            {
                var text = MockUsage.PieceUtf8(piece).ToArray();
                if (!await ContentAsync(json, answer, w => GenerateContentJson.WriteTextPart(w, text, thought: false), tokens: 1))
                {
                    return;
                }
            }

            foreach (var call in answer.Calls)
            {
                if (!await ContentAsync(json, answer, w => GenerateContentJson.WriteCallPart(w, call), call.Tokens))
                {
                    return;
                }
            }

            if (!await _transport.PassMarksAsync(end: true, ChatJson.WriteGarbageEvent)
                || !await EventAsync(json, () =>
                {
                    GenerateContentJson.WriteStart(json);
                    GenerateContentJson.WriteEnd(json, answer, finish: true, _candidates, _thoughts, _usage);
                }))
            {
                return;
            }

            // A burst longer than the stream would otherwise still hold the last events.
            completed = await _transport.FlushAsync();
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The client left; what it received is still counted below.
        }
        finally
        {
            var output = completed ? answer.OutputTokens : answer.ThoughtsTokens + _contentTokens.Take(_transport.Delivered).Sum();
            deployment.Record(answer.Model, answer.PromptTokens, output, user: null);
        }
    }

    private async ValueTask<bool> EventAsync(Utf8JsonWriter json, Action write)
    {
        await _transport.PaceAsync();
        GenerateContentJson.StartEvent(_body);
        write();
        GenerateContentJson.EndEvent(_body, json);
        return await _transport.SendAsync();
    }

    private async ValueTask<bool> ContentAsync(Utf8JsonWriter json, GenerateContentAnswer answer, Action<Utf8JsonWriter> part, int tokens)
    {
        if (!await _transport.PassMarksAsync(end: false, ChatJson.WriteGarbageEvent))
        {
            return false;
        }

        _candidates += tokens;
        _contentTokens.Add(tokens);
        _transport.WroteContent();
        return await EventAsync(json, () =>
        {
            GenerateContentJson.WriteStart(json);
            part(json);
            GenerateContentJson.WriteEnd(json, answer, finish: false, _candidates, _thoughts, _usage);
        });
    }
}
