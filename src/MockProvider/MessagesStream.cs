using System.IO.Pipelines;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// One streamed Messages answer in Anthropic's exact event sequence: <c>message_start</c> (with the usage so far),
/// <c>ping</c>, each block opened, filled and closed in turn with consecutive indices (thinking, then text, then each
/// tool_use, whose input comes as an empty first <c>input_json_delta</c> and then pieces of four characters cut anywhere),
/// <c>message_delta</c> with the stop reason and the cumulative usage, <c>message_stop</c>. Every delta is a content event
/// for the <see cref="StreamFaults"/>.
/// </summary>
internal sealed class MessagesStream
{
    private const int ArgumentPiece = 4;
    private static readonly byte[] TextDelta = "text_delta"u8.ToArray(), Text = "text"u8.ToArray();
    private static readonly byte[] ThinkingDelta = "thinking_delta"u8.ToArray(), Thinking = "thinking"u8.ToArray();
    private static readonly byte[] SignatureDelta = "signature_delta"u8.ToArray(), SignatureField = "signature"u8.ToArray();
    private static readonly byte[] InputJsonDelta = "input_json_delta"u8.ToArray(), PartialJson = "partial_json"u8.ToArray();
    private static readonly byte[] Signature = System.Text.Encoding.ASCII.GetBytes(MessagesAnswer.Signature);

    private readonly HttpContext _context;
    private readonly EventStreamTransport _transport;
    private readonly PipeWriter _body;
    private readonly List<int> _contentTokens = [];

    public MessagesStream(HttpContext context, TimeSpan chunkDelay, StreamFaults faults, ILogger logger)
    {
        _context = context;
        _transport = new EventStreamTransport(context, chunkDelay, faults, logger);
        _body = _transport.Body;
    }

    /// <summary>Streams the answer and counts what reached the client, even when it left or a fault cut it short.</summary>
    public async Task WriteAsync(MockDeployment deployment, MessagesAnswer answer, string? user)
    {
        var response = _context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var usage = !_transport.Faults.NoUsage;
        var completed = false;
        var recorded = false;
        using var json = new Utf8JsonWriter(_body, MockJson.WriterOptions);
        try
        {
            if (!await EventAsync(() => MessagesJson.WriteMessageStart(_body, json, answer, usage)) || !await EventAsync(() => MessagesJson.WritePing(_body, json)))
            {
                return;
            }

            var index = 0;
            if (answer.ThinkingTokens > 0)
            {
                if (!await EventAsync(() => MessagesJson.WriteBlockStart(_body, json, index, "thinking"u8)))
                {
                    return;
                }

                for (var piece = 0; piece < answer.ThinkingTokens; piece++)
                {
                    if (!await ContentAsync(json, index, ThinkingDelta, Thinking, MockUsage.PieceUtf8(piece).ToArray(), tokens: 1))
                    {
                        return;
                    }
                }

                if (!await ContentAsync(json, index, SignatureDelta, SignatureField, Signature, tokens: 0)
                    || !await EventAsync(() => MessagesJson.WriteBlockStop(_body, json, index)))
                {
                    return;
                }

                index++;
            }

            if (!await EventAsync(() => MessagesJson.WriteBlockStart(_body, json, index, "text"u8)))
            {
                return;
            }

            for (var piece = 0; piece < answer.TextTokens; piece++)
            {
                if (!await ContentAsync(json, index, TextDelta, Text, MockUsage.PieceUtf8(piece).ToArray(), tokens: 1))
                {
                    return;
                }
            }

            if (!await EventAsync(() => MessagesJson.WriteBlockStop(_body, json, index)))
            {
                return;
            }

            foreach (var tool in answer.Tools)
            {
                index++;
                if (!await ToolAsync(json, index, tool))
                {
                    return;
                }
            }

            if (!await _transport.PassMarksAsync(end: true, ChatJson.WriteGarbageEvent)
                || !await EventAsync(() => MessagesJson.WriteMessageDelta(_body, json, answer, usage)))
            {
                return;
            }

            // Counted whole before the last event can leave (a caller that has it may read the counts at once); taken
            // back below if the stream does not end after all.
            deployment.Record(answer.Model, answer.PromptTokens, answer.OutputTokens, user);
            recorded = true;
            if (!await EventAsync(() => MessagesJson.WriteMessageStop(_body, json)))
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
            if (!completed)
            {
                if (recorded)
                {
                    deployment.Retract(answer.Model, answer.PromptTokens, answer.OutputTokens, user);
                }

                deployment.Record(answer.Model, answer.PromptTokens, _contentTokens.Take(_transport.Delivered).Sum(), user);
            }
        }
    }

    private async ValueTask<bool> ToolAsync(Utf8JsonWriter json, int index, MessagesAnswer.ToolCall tool)
    {
        if (!await EventAsync(() => MessagesJson.WriteBlockStart(_body, json, index, "tool_use"u8, tool)))
        {
            return false;
        }

        // Anthropic opens a tool's input with an empty delta, then sends pieces that end anywhere, mid-string or mid-escape;
        // a tool without arguments gets the empty delta alone.
        var pieces = new List<string> { "" };
        for (var at = 0; tool.Input != "{}" && at < tool.Input.Length; at += ArgumentPiece)
        {
            pieces.Add(tool.Input.Substring(at, Math.Min(ArgumentPiece, tool.Input.Length - at)));
        }

        for (var i = 0; i < pieces.Count; i++)
        {
            // The tool's tokens count with its last piece: a tool call cut short was not delivered.
            var tokens = i == pieces.Count - 1 ? tool.Tokens : 0;
            if (!await ContentAsync(json, index, InputJsonDelta, PartialJson, System.Text.Encoding.UTF8.GetBytes(pieces[i]), tokens))
            {
                return false;
            }
        }

        return await EventAsync(() => MessagesJson.WriteBlockStop(_body, json, index));
    }

    private async ValueTask<bool> EventAsync(Action write)
    {
        await _transport.PaceAsync();
        write();
        return await _transport.SendAsync();
    }

    private async ValueTask<bool> ContentAsync(Utf8JsonWriter json, int index, byte[] kind, byte[] field, byte[] value, int tokens)
    {
        if (!await _transport.PassMarksAsync(end: false, ChatJson.WriteGarbageEvent))
        {
            return false;
        }

        await _transport.PaceAsync();
        MessagesJson.WriteDelta(_body, json, index, kind, field, value);
        _transport.WroteContent();
        _contentTokens.Add(tokens);
        return await _transport.SendAsync();
    }
}
