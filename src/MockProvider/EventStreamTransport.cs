using System.IO.Pipelines;

namespace Gateway.MockProvider;

/// <summary>
/// The transport of one streamed answer, whatever its event format (OpenAI chunks, Anthropic events): pacing between events,
/// bursts, and the <see cref="StreamFaults"/> placed after so many content events (garbage, stall, cut or reset). It
/// counts the content events written and those that reached the client. A class because the counters and the burst hold
/// are state that has to survive the awaits between events.
/// </summary>
internal sealed class EventStreamTransport
{
    // Aborting drops whatever the transport has not sent yet; a short grace lets the events already flushed reach
    // the peer first, so a cut stream delivers exactly what the mock counted as sent.
    private static readonly TimeSpan CutGrace = TimeSpan.FromMilliseconds(50);

    private readonly HttpContext _context;
    private readonly CancellationToken _aborted;
    private readonly StreamFaults _faults;
    private readonly ILogger _logger;
    private Pacer _pace;
    private int _events;

    public EventStreamTransport(HttpContext context, TimeSpan chunkDelay, StreamFaults faults, ILogger logger)
    {
        _context = context;
        Body = context.Response.BodyWriter;
        _aborted = context.RequestAborted;
        _faults = faults;
        _logger = logger;
        _pace = new Pacer(chunkDelay);
    }

    public PipeWriter Body { get; }

    public StreamFaults Faults => _faults;

    /// <summary>Content events written so far.</summary>
    public int Written { get; private set; }

    /// <summary>Content events that reached the client (flushed while it was there).</summary>
    public int Delivered { get; private set; }

    /// <summary>Counts the content event just written.</summary>
    public void WroteContent() => Written++;

    // Events of a burst go out together, so no delay between them.
    public Task PaceAsync() => _events < _faults.BurstEvents ? Task.CompletedTask : _pace.WaitAsync(_aborted);

    /// <summary>Sends the event just written, or holds it for the burst; false when the stream must end.</summary>
    public async ValueTask<bool> SendAsync()
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

    /// <summary>
    /// Applies the faults placed after the content events sent so far, writing the garbage event with
    /// <paramref name="writeGarbage"/>; false when the stream must end.
    /// </summary>
    public async ValueTask<bool> PassMarksAsync(bool end, Action<PipeWriter> writeGarbage)
    {
        if (StreamFaults.IsDue(_faults.GarbageAfterChunks, Written, end))
        {
            writeGarbage(Body);
            if (!await FlushAsync())
            {
                return false;
            }
        }

        if (StreamFaults.IsDue(_faults.StallAfterChunks, Written, end)
            && (!await FlushAsync() || !await MockConnection.StallAsync(_faults.Stall, _aborted)))
        {
            return false;
        }

        if (StreamFaults.IsDue(_faults.CutAfterChunks, Written, end))
        {
            await CutAsync();
            return false;
        }

        return true;
    }

    /// <summary>Sends what was written; false when the client is gone and the stream should end.</summary>
    public async ValueTask<bool> FlushAsync()
    {
        var result = await Body.FlushAsync(_aborted);
        if (result.IsCanceled || result.IsCompleted)
        {
            return false;
        }

        Delivered = Written;
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
}
