using System.Diagnostics.CodeAnalysis;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Upstream;

/// <summary>What an attempt sends to a deployment in the wire format of its provider's kind, or why it sends nothing.</summary>
internal static class AttemptTranslation
{
    /// <summary>
    /// The body in the wire format of <paramref name="client"/>'s kind (null: the OpenAI body as it is), written before
    /// capacity is taken: a request the provider's format cannot carry is the client's 400, and nothing was sent or held.
    /// <paramref name="native"/>: the provider speaks the client's own dialect, and gets the client's body with only its
    /// <c>model</c> rewritten (decided per attempt, so a fallback to a provider of another kind is translated).
    /// </summary>
    public static bool TryTranslate(
        UpstreamRequest request, Deployment deployment, ProviderClient client, out byte[]? translated, out bool native, [NotNullWhen(false)] out UpstreamFailure? refusal)
    {
        native = false;
        if (client.Anthropic is not null && request.Native is { Dialect: IngressDialect.AnthropicMessages } messages)
        {
            // max_tokens needs no cap here: admission validated it against the model's cap and reserved it whole.
            translated = ModelField.Replace(messages.Body, deployment.UpstreamModelJson);
            native = true;
            refusal = null;
            return true;
        }

        if (client.Anthropic is not null)
        {
            return AnthropicUpstream.TryTranslate(request, deployment, OutputCap(request, deployment), client, out translated, out refusal);
        }

        if (client.Gemini is not null)
        {
            return GeminiUpstream.TryTranslate(request, OutputCap(request, deployment), client, out translated, out refusal);
        }

        translated = null;
        refusal = null;
        return true;
    }

    /// <summary>
    /// Why <paramref name="client"/> cannot serve a request whose translation lacks parts of it (a Messages request with a
    /// server tool, for a provider that does not speak Messages): the client's 400, nothing sent; null when it can.
    /// </summary>
    public static UpstreamFailure? NativeOnly(UpstreamRequest request, ProviderClient client) =>
        request.Native is { Untranslatable: { } reason } native && !(native.Dialect == IngressDialect.AnthropicMessages && client.Anthropic is not null)
            ? new UpstreamFailure(UpstreamFailureKind.Untranslatable, client.Name, TranslationRefusal.StatusCode, reason, Code: "unsupported_value")
            : null;

    // The model's output cap as admission found it in the catalog, carried with the request; a request that carries none
    // (from a frontend that did not pass it on) is bounded by its reservation alone.
    private static int OutputCap(UpstreamRequest request, Deployment deployment) =>
        request.OutputCapOf(deployment.ModelId) ?? int.MaxValue;
}
