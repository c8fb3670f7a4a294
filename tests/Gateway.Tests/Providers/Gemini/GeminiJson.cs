using System.Text;
using System.Text.Json.Nodes;
using Gateway.Grains.Providers.Gemini;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Tests.Providers.Gemini;

/// <summary>Runs the Gemini translators on JSON text and compares JSON by value, for the translation tests.</summary>
internal static class GeminiJson
{
    public static readonly GeminiRequestOptions Options = new(MaxOutputTokens: 65536);

    public static JsonObject Request(string openAi, GeminiRequestOptions? options = null) => Translate(openAi, options).Body;

    public static (JsonObject Body, GeminiRequestTranslation Translation) Translate(string openAi, GeminiRequestOptions? options = null)
    {
        var ok = GeminiRequestTranslator.TryTranslate(Encoding.UTF8.GetBytes(openAi), options ?? Options, out var translation, out var refusal);
        Assert.True(ok, refusal?.Message);
        return (JsonNode.Parse(translation!.Body)!.AsObject(), translation);
    }

    public static TranslationRefusal Refusal(string openAi, GeminiRequestOptions? options = null)
    {
        var ok = GeminiRequestTranslator.TryTranslate(Encoding.UTF8.GetBytes(openAi), options ?? Options, out var translation, out var refusal);
        Assert.False(ok, translation is null ? "" : Encoding.UTF8.GetString(translation.Body));
        return refusal!;
    }

    /// <summary>The <c>contents</c> of a translated request holding <paramref name="messagesJson"/>.</summary>
    public static JsonNode Contents(string messagesJson) => Request($$"""{"messages":{{messagesJson}}}""")["contents"]!;

    /// <summary>The <c>generationConfig</c> of a translated request to "Hi" with <paramref name="fields"/> added.</summary>
    public static JsonNode GenerationConfig(string fields) =>
        Request($$"""{"messages":[{"role":"user","content":"Hi"}],{{fields}}}""")["generationConfig"]!;

    /// <summary>Equal as JSON values (member order included), shown as compact JSON when not.</summary>
    public static void Equal(string expected, JsonNode? actual) =>
        Assert.Equal(JsonNode.Parse(expected)!.ToJsonString(), actual?.ToJsonString());

    public static JsonObject Completion(string gemini, out GeminiUsage? usage)
    {
        Assert.True(GeminiResponseTranslator.TryTranslate(Encoding.UTF8.GetBytes(gemini), "gemini-2.5-flash", 1700000000, out var completion, out usage));
        return JsonNode.Parse(completion!)!.AsObject();
    }

    /// <summary>An SSE body as Gemini frames it: each event's data on one line, CRLF line ends.</summary>
    public static string Sse(params string[] events) => string.Concat(events.Select(data => $"data: {data}\r\n\r\n"));

    /// <summary>Feeds the body in one piece and ends it; the chunks, parsed, and the last step.</summary>
    public static (List<JsonObject> Chunks, GeminiStreamStep Last) Stream(GeminiStreamTranslator translator, string body)
    {
        var chunks = new List<byte[]>();
        var step = translator.Feed(Encoding.UTF8.GetBytes(body), chunks);
        if (step == GeminiStreamStep.Continue)
        {
            step = translator.Complete(chunks);
        }

        return (chunks.Select(chunk => JsonNode.Parse(chunk)!.AsObject()).ToList(), step);
    }

    public static IEnumerable<JsonObject> Deltas(IEnumerable<JsonObject> chunks) =>
        chunks.Where(chunk => chunk["choices"]!.AsArray().Count > 0).Select(chunk => chunk["choices"]![0]!["delta"]!.AsObject());

    /// <summary>A streamed response event with <paramref name="parts"/> (JSON array text) and optional finish reason and usage.</summary>
    public static string Event(string parts, string? finishReason = null, string? usage = null)
    {
        var finish = finishReason is null ? "" : $$""","finishReason":"{{finishReason}}" """;
        var usageText = usage is null ? "" : $$""","usageMetadata":{{usage}}""";
        return $$"""{"candidates":[{"content":{"parts":{{parts}},"role":"model"},"index":0{{finish.TrimEnd()}}}]{{usageText}},"modelVersion":"gemini-2.5-flash","responseId":"resp1"}""";
    }
}
