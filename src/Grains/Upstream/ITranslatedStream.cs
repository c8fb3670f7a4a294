using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.Grains.Upstream;

/// <summary>
/// A provider's own stream format read as the OpenAI stream the rest of the worker handles (Anthropic's events, Gemini's
/// responses): OpenAI chunks, then <c>[DONE]</c> once the provider said it completed. One per stream; not thread-safe.
/// </summary>
internal interface ITranslatedStream : IStreamUsageSource
{
    /// <summary>Why the stream ended without completing, when the provider said why or its stream was malformed or cut.</summary>
    UpstreamFailure? Failure { get; }

    /// <summary>The next OpenAI chunk from the provider's events read by <paramref name="readEvent"/>; null when the stream ended without completing.</summary>
    ValueTask<byte[]?> NextAsync(Func<ValueTask<byte[]?>> readEvent);
}
