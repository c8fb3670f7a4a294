using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers.Anthropic;

namespace Gateway.Grains.Upstream;

/// <summary>
/// An Anthropic Messages stream read as the OpenAI stream the rest of the worker handles: each event's chunks in turn,
/// then <c>[DONE]</c> after <c>message_stop</c>. An <c>error</c> event or an event out of order ends it with
/// <see cref="Failure"/>. Its usage (from <c>message_start</c>, overwritten by each cumulative <c>message_delta</c>)
/// is what the stream is charged. One per stream; not thread-safe.
/// </summary>
internal sealed class AnthropicEventStream(string model, long created, string provider) : ITranslatedStream
{
    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    // The usage chunk is always produced: the worker settles from it and drops it for a client that did not ask.
    private readonly AnthropicStreamTranslator _translator = new(includeUsage: true, model, created);
    private readonly List<byte[]> _chunks = new(4);
    private int _next;
    private bool _completed;

    /// <summary>Why the stream ended without completing, when Anthropic said why or broke the event order.</summary>
    public UpstreamFailure? Failure { get; private set; }

    public CompletionUsage.Figures? Final => _completed && _translator.Usage is { } usage ? AnthropicUpstream.Figures(usage) : null;

    public CompletionUsage.Figures? Started => _translator.Usage is { } usage ? AnthropicUpstream.Figures(usage) : null;

    /// <summary>The next OpenAI chunk; null when the connection ended (with <see cref="Failure"/> set when Anthropic failed it).</summary>
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

            _chunks.Clear();
            _next = 0;
            if (await readEvent() is not { } data)
            {
                return null;
            }

            switch (_translator.Translate(data, _chunks))
            {
                case AnthropicStreamStep.Completed:
                    _completed = true;
                    break;
                case AnthropicStreamStep.Failed:
                    var error = _translator.Error!;
                    Failure = new UpstreamFailure(error.Kind, provider, ProviderMessage: error.Kind == UpstreamFailureKind.Refused ? error.Message : null);
                    return null;
                case AnthropicStreamStep.Malformed:
                    Failure = new UpstreamFailure(UpstreamFailureKind.BadResponse, provider);
                    return null;
            }
        }
    }
}
