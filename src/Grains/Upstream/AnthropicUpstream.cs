using System.Diagnostics.CodeAnalysis;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers;
using Gateway.Grains.Providers.Anthropic;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Upstream;

/// <summary>
/// The two ends of a call to a provider of kind <c>anthropic</c> that are not a stream: the client's OpenAI body as a
/// Messages request for one deployment, and a Messages response as an OpenAI completion with its usage.
/// </summary>
internal static class AnthropicUpstream
{
    /// <summary>
    /// The Messages body for <paramref name="deployment"/> (whose model may write at most <paramref name="outputCap"/> tokens), or the refusal to send it (a 400 for the client, nothing sent,
    /// nothing charged). <c>max_tokens</c>, which a thinking budget raises, stays within what admission reserved for the
    /// output, so the reservation still covers the most the call can cost.
    /// </summary>
    public static bool TryTranslate(
        UpstreamRequest request, Deployment deployment, int outputCap, ProviderClient client,
        [NotNullWhen(true)] out byte[]? body, [NotNullWhen(false)] out UpstreamFailure? refusal)
    {
        var cap = outputCap;
        if (request.ReservedTokens > request.PromptTokens)
        {
            cap = (int)Math.Min(cap, request.ReservedTokens - request.PromptTokens);
        }

        var options = new AnthropicRequestOptions(deployment.UpstreamModel, client.Options.AnthropicVersion, DefaultMaxTokens: cap, MaxOutputTokens: cap);
        if (AnthropicRequestTranslator.TryTranslate(request.Body, options, out var translation, out var reason))
        {
            body = translation.Body;
            refusal = null;
            return true;
        }

        body = null;
        refusal = new UpstreamFailure(UpstreamFailureKind.Untranslatable, client.Name, TranslationRefusal.StatusCode, reason.Message,
            Param: reason.Param, Code: reason.Code);
        return false;
    }

    /// <summary>
    /// A Messages response as an OpenAI <c>chat.completion</c> named <paramref name="model"/>, with its usage (the gateway's
    /// count when Anthropic reported none); false when it is not a Messages response.
    /// </summary>
    public static bool TryReadCompletion(byte[] body, string model, long created, int promptEstimate,
        [NotNullWhen(true)] out byte[]? completion, out CompletionUsage.Figures usage)
    {
        usage = default;
        if (!AnthropicResponseTranslator.TryTranslate(body, model, created, out completion, out var reported))
        {
            return false;
        }

        if (reported is { } anthropic)
        {
            usage = Figures(anthropic);
            return true;
        }

        return CompletionUsage.TryRead(completion, promptEstimate, out usage);
    }

    /// <summary>
    /// A Messages response relayed as it is to a Messages client (its <c>model</c> the catalog's name,
    /// <paramref name="modelJson"/>), with its usage as <see cref="TryReadCompletion"/> reads it; false when it is not a
    /// Messages response.
    /// </summary>
    public static bool TryReadNative(byte[] body, byte[] modelJson, long created, int promptEstimate,
        [NotNullWhen(true)] out byte[]? message, out CompletionUsage.Figures usage)
    {
        message = TryReadCompletion(body, "", created, promptEstimate, out _, out usage) ? ModelField.Replace(body, modelJson) : null;
        return message is not null;
    }

    /// <summary>Anthropic's usage as the gateway charges it: OpenAI's prompt tokens (cache reads and writes included), split by price.</summary>
    public static CompletionUsage.Figures Figures(AnthropicUsage usage) =>
        new(usage.PromptTokens, usage.OutputTokens, Counted: false, CachedInput: usage.CacheReadTokens, CacheWrite: usage.CacheWriteTokens,
            CacheWrite1h: Math.Min(usage.CacheWrite1hTokens, usage.CacheWriteTokens), Reasoning: Math.Min(usage.ReasoningTokens, usage.OutputTokens));
}
