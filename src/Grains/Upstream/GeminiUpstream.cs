using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers;
using Gateway.Grains.Providers.Gemini;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Upstream;

/// <summary>
/// The two ends of a call to a provider of kind <c>gemini</c> that are not a stream: the client's OpenAI body as a
/// <c>generateContent</c> request, a Gemini response as an OpenAI completion with its usage, and a Gemini error status as
/// the failure it is.
/// </summary>
internal static class GeminiUpstream
{
    /// <summary>
    /// The <c>generateContent</c> body, or the refusal to send it (a 400 for the client, nothing sent, nothing charged).
    /// Each candidate's <c>maxOutputTokens</c>, which a thinking budget raises, stays within its share of what admission
    /// reserved for the output, so the reservation still covers the most the call can cost.
    /// </summary>
    public static bool TryTranslate(
        UpstreamRequest request, int outputCap, ProviderClient client,
        [NotNullWhen(true)] out byte[]? body, [NotNullWhen(false)] out UpstreamFailure? refusal)
    {
        var reserved = request.ReservedTokens > request.PromptTokens ? request.ReservedTokens - request.PromptTokens : (long?)null;
        var cap = reserved is { } output ? (int)Math.Min(outputCap, output) : outputCap;
        var translated = GeminiRequestTranslator.TryTranslate(request.Body, new GeminiRequestOptions(cap), out var translation, out var reason);
        if (translated && translation!.Candidates > 1 && reserved is { } total && (long)translation.MaxTokens * translation.Candidates > total)
        {
            // n candidates share the reservation: each may produce its share.
            translated = GeminiRequestTranslator.TryTranslate(
                request.Body, new GeminiRequestOptions((int)Math.Max(1, total / translation.Candidates)), out translation, out reason);
        }

        if (translated)
        {
            body = translation!.Body;
            refusal = null;
            return true;
        }

        body = null;
        refusal = new UpstreamFailure(UpstreamFailureKind.Untranslatable, client.Name, TranslationRefusal.StatusCode, reason!.Message,
            Param: reason.Param, Code: reason.Code);
        return false;
    }

    /// <summary>
    /// A <c>GenerateContentResponse</c> as an OpenAI <c>chat.completion</c> named <paramref name="model"/>, with its usage
    /// (the gateway's count when Gemini reported none); false when it is not a Gemini response.
    /// </summary>
    public static bool TryReadCompletion(byte[] body, string model, long created, int promptEstimate,
        [NotNullWhen(true)] out byte[]? completion, out CompletionUsage.Figures usage)
    {
        usage = default;
        if (!GeminiResponseTranslator.TryTranslate(body, model, created, out completion, out var reported))
        {
            return false;
        }

        if (reported is { } gemini)
        {
            usage = Figures(gemini);
            return true;
        }

        return CompletionUsage.TryRead(completion, promptEstimate, out usage);
    }

    /// <summary>
    /// A Gemini error status as a failure: the <c>google.rpc</c> status in its body decides the kind (429
    /// <c>RESOURCE_EXHAUSTED</c> and 503 <c>UNAVAILABLE</c> are retried, 400 <c>INVALID_ARGUMENT</c> is the client's,
    /// 400 <c>FAILED_PRECONDITION</c> the gateway's account), the status alone when the body says nothing. Gemini answers
    /// a key it does not know with 400 <c>INVALID_ARGUMENT</c> too, told apart by the reason <c>API_KEY_INVALID</c> of its
    /// details: the gateway's key, not the client's request.
    /// </summary>
    public static UpstreamFailure FromStatus(HttpStatusCode status, byte[] body, HttpResponseHeaders headers, string provider, DateTimeOffset now)
    {
        var failure = UpstreamFailureRules.FromStatus(status, body, headers, provider, now);
        if (!GeminiError.TryReadBody(body, out var error))
        {
            return failure;
        }

        var kind = RefusesTheKey(body) ? UpstreamFailureKind.AuthFailed : error!.Kind;
        return kind == failure.Kind ? failure : failure with { Kind = kind, ProviderMessage = kind == UpstreamFailureKind.Refused ? error!.Message : null };
    }

    private static bool RefusesTheKey(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement[0] : document.RootElement;
        return root.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object
            && error.TryGetProperty("details"u8, out var details) && details.ValueKind == JsonValueKind.Array
            && details.EnumerateArray().Any(detail => detail.ValueKind == JsonValueKind.Object
                && detail.TryGetProperty("reason"u8, out var reason) && reason.ValueKind == JsonValueKind.String && reason.ValueEquals("API_KEY_INVALID"u8));
    }

    /// <summary>Gemini's usage as the gateway charges it: OpenAI's prompt tokens (cached input included, priced apart) and output with the thoughts.</summary>
    public static CompletionUsage.Figures Figures(GeminiUsage usage) =>
        new(usage.InputTokens, usage.OutputTokens, Counted: false, CachedInput: usage.CachedTokens, Reasoning: usage.ThoughtsTokens);
}
