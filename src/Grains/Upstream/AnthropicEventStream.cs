using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers.Anthropic;

namespace Gateway.Grains.Upstream;

/// <summary>
/// An Anthropic Messages stream read as the OpenAI stream the rest of the worker handles: each event's chunks in turn,
/// then <c>[DONE]</c> after <c>message_stop</c>. An <c>error</c> event or an event out of order ends it with
/// <see cref="TranslatedEventStream.Failure"/>. Its usage (from <c>message_start</c>, overwritten by each cumulative
/// <c>message_delta</c>) is what the stream is charged. One per stream; not thread-safe.
/// </summary>
internal sealed class AnthropicEventStream(string model, long created, string provider) : TranslatedEventStream(provider)
{
    // The usage chunk is always produced: the worker settles from it and drops it for a client that did not ask.
    private readonly AnthropicStreamTranslator _translator = new(includeUsage: true, model, created);

    protected override CompletionUsage.Figures? Usage => _translator.Usage is { } usage ? AnthropicUpstream.Figures(usage) : null;

    public override string GeneratedText => _translator.GeneratedText;

    public override bool IsUsageChunk(byte[] chunk) => _translator.IsUsageChunk(chunk);

    protected override Step Translate(byte[]? data, List<byte[]> chunks)
    {
        if (data is null)
        {
            return Step.Ended;
        }

        return _translator.Translate(data, chunks) switch
        {
            AnthropicStreamStep.Completed => Step.Completed,
            AnthropicStreamStep.Failed => Fail(_translator.Error!.Kind, _translator.Error.Message),
            AnthropicStreamStep.Malformed => Fail(UpstreamFailureKind.BadResponse),
            _ => Step.Continue,
        };
    }
}
