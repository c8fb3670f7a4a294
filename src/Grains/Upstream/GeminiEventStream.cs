using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers.Gemini;

namespace Gateway.Grains.Upstream;

/// <summary>
/// A Gemini <c>streamGenerateContent?alt=sse</c> stream read as the OpenAI stream the rest of the worker handles: each
/// response's chunks in turn and, as Gemini has no end event, the finish and usage chunks when the body ends after a
/// finish reason, then <c>[DONE]</c>. A body that ends before any finish reason is cut; an <c>error</c> event or a malformed
/// one ends it with <see cref="TranslatedEventStream.Failure"/>. Its usage is the last <c>usageMetadata</c> (a running
/// total, never summed), which is what the stream is charged. One per stream; not thread-safe.
/// </summary>
internal sealed class GeminiEventStream(string model, long created, string provider) : TranslatedEventStream(provider)
{
    // The usage chunk is always produced: the worker settles from it and drops it for a client that did not ask.
    private readonly GeminiStreamTranslator _translator = new(includeUsage: true, model, created);

    protected override CompletionUsage.Figures? Usage => _translator.Usage is { } usage ? GeminiUpstream.Figures(usage) : null;

    public override string GeneratedText => _translator.GeneratedText;

    public override bool IsUsageChunk(byte[] chunk) => _translator.IsUsageChunk(chunk);

    protected override Step Translate(byte[]? data, List<byte[]> chunks) =>
        (data is null ? _translator.Complete(chunks) : _translator.Translate(data, chunks)) switch
        {
            GeminiStreamStep.Completed => Step.Completed,
            GeminiStreamStep.Failed => Fail(_translator.Error!.Kind, _translator.Error.Message),
            GeminiStreamStep.Malformed => Fail(UpstreamFailureKind.BadResponse),
            GeminiStreamStep.Incomplete => Fail(UpstreamFailureKind.StreamCut),
            _ => Step.Continue,
        };
}
