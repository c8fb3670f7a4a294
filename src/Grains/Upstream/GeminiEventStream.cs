using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers.Gemini;

namespace Gateway.Grains.Upstream;

/// <summary>
/// A Gemini <c>streamGenerateContent?alt=sse</c> stream read as the OpenAI stream the rest of the worker handles: each
/// response's chunks in turn and, as Gemini has no end event, the finish and usage chunks when the body ends after a
/// finish reason, then <c>[DONE]</c>. A body that ends before any finish reason is cut; an <c>error</c> event or a malformed
/// one ends it with <see cref="Failure"/>. Its usage is the last <c>usageMetadata</c> (a running total, never summed),
/// which is what the stream is charged. One per stream; not thread-safe.
/// </summary>
internal sealed class GeminiEventStream(string model, long created, string provider) : ITranslatedStream
{
    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    // The usage chunk is always produced: the worker settles from it and drops it for a client that did not ask.
    private readonly GeminiStreamTranslator _translator = new(includeUsage: true, model, created);
    private readonly List<byte[]> _chunks = new(4);
    private int _next;
    private bool _completed;
    private bool _ended;

    public UpstreamFailure? Failure { get; private set; }

    public CompletionUsage.Figures? Final => _completed && _translator.Usage is { } usage ? GeminiUpstream.Figures(usage) : null;

    public CompletionUsage.Figures? Started => _translator.Usage is { } usage ? GeminiUpstream.Figures(usage) : null;

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
            var step = await readEvent() is { } data ? _translator.Translate(data, _chunks) : _translator.Complete(_chunks);
            switch (step)
            {
                case GeminiStreamStep.Completed:
                    _completed = true;
                    break;
                case GeminiStreamStep.Failed:
                    var error = _translator.Error!;
                    Failure = new UpstreamFailure(error.Kind, provider, ProviderMessage: error.Kind == UpstreamFailureKind.Refused ? error.Message : null);
                    _ended = true;
                    return null;
                case GeminiStreamStep.Malformed:
                    Failure = new UpstreamFailure(UpstreamFailureKind.BadResponse, provider);
                    _ended = true;
                    return null;
                case GeminiStreamStep.Incomplete:
                    Failure = new UpstreamFailure(UpstreamFailureKind.StreamCut, provider);
                    _ended = true;
                    return null;
            }
        }
    }
}
