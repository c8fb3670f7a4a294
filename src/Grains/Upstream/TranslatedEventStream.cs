using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.Grains.Upstream;

/// <summary>
/// What Anthropic's and Gemini's streams share as the OpenAI stream the rest of the worker handles: each event's chunks
/// in turn, <c>[DONE]</c> once the provider's translator said the stream completed, and null (with <see cref="Failure"/>
/// when the provider failed it) once it ended otherwise; a subclass only translates one event, or the body's end. Its
/// usage is what the stream is charged, and it keeps what its chunks generated: the chunks are the gateway's own, which
/// the <see cref="StreamMeter"/> does not read again. One per stream; not thread-safe.
/// </summary>
internal abstract class TranslatedEventStream(string provider) : ITranslatedStream
{
    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    private readonly List<byte[]> _chunks = new(4);
    private int _next;
    private bool _completed;
    private bool _ended;

    /// <summary>What one event (or the body's end) did to the stream.</summary>
    protected enum Step
    {
        /// <summary>The stream goes on; any chunks produced are to be relayed.</summary>
        Continue,

        /// <summary>The last chunks were produced and the stream is complete.</summary>
        Completed,

        /// <summary>The stream ended without completing, with <see cref="Failure"/> set when the provider failed it.</summary>
        Ended,
    }

    /// <summary>Why the stream ended without completing, when the provider said why or its stream was malformed or cut.</summary>
    public UpstreamFailure? Failure { get; private set; }

    public CompletionUsage.Figures? Final => _completed ? Usage : null;

    public CompletionUsage.Figures? Started => Usage;

    public abstract string? GeneratedText { get; }

    /// <summary>The usage the provider reported so far, as the worker charges it; null before it reported any.</summary>
    protected abstract CompletionUsage.Figures? Usage { get; }

    /// <summary>True when <paramref name="chunk"/>, one of this stream's, is its usage chunk (no choices), which a client that did not ask for usage does not get.</summary>
    public abstract bool IsUsageChunk(byte[] chunk);

    /// <summary>The next OpenAI chunk; null when the stream ended without completing.</summary>
    public async ValueTask<byte[]?> NextAsync(Func<ValueTask<byte[]?>> readEvent)
    {
        while (true)
        {
            if (_next < _chunks.Count)
            {
                return _chunks[_next++];
            }

            if (_completed)
            {
                return Done;
            }

            if (_ended)
            {
                return null;
            }

            _chunks.Clear();
            _next = 0;
            switch (Translate(await readEvent(), _chunks))
            {
                case Step.Completed:
                    _completed = true;
                    break;
                case Step.Ended:
                    _ended = true;
                    return null;
            }
        }
    }

    /// <summary>Adds the chunks of one provider event to <paramref name="chunks"/>, or, when <paramref name="data"/> is null, those of the body's end.</summary>
    protected abstract Step Translate(byte[]? data, List<byte[]> chunks);

    /// <summary>Ends the stream as failed by the provider; only a refusal keeps the provider's own message.</summary>
    protected Step Fail(UpstreamFailureKind kind, string? message) =>
        Fail(new UpstreamFailure(kind, provider, ProviderMessage: kind == UpstreamFailureKind.Refused ? message : null));

    /// <summary>Ends the stream as failed without a provider message (<see cref="UpstreamFailureKind.BadResponse"/>, a cut).</summary>
    protected Step Fail(UpstreamFailureKind kind) => Fail(new UpstreamFailure(kind, provider));

    private Step Fail(UpstreamFailure failure)
    {
        Failure = failure;
        return Step.Ended;
    }
}
