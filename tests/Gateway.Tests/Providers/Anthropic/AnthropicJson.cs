using System.Text;
using System.Text.Json.Nodes;
using Gateway.Grains.Providers.Anthropic;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Tests.Providers.Anthropic;

/// <summary>Runs the Anthropic translators on JSON text and compares JSON by value, for the translation tests.</summary>
internal static class AnthropicJson
{
    public static readonly AnthropicRequestOptions Options = new(
        "claude-sonnet-4-5-20250929", AnthropicApiVersions.V20230601, DefaultMaxTokens: 4096, MaxOutputTokens: 64000);

    public static JsonObject Request(string openAi, AnthropicRequestOptions? options = null) => Translate(openAi, options).Body;

    public static (JsonObject Body, AnthropicRequestTranslation Translation) Translate(string openAi, AnthropicRequestOptions? options = null)
    {
        var ok = AnthropicRequestTranslator.TryTranslate(Encoding.UTF8.GetBytes(openAi), options ?? Options, out var translation, out var refusal);
        Assert.True(ok, refusal?.Message);
        return (JsonNode.Parse(translation!.Body)!.AsObject(), translation);
    }

    public static TranslationRefusal Refusal(string openAi, AnthropicRequestOptions? options = null)
    {
        var ok = AnthropicRequestTranslator.TryTranslate(Encoding.UTF8.GetBytes(openAi), options ?? Options, out var translation, out var refusal);
        Assert.False(ok, translation is null ? "" : Encoding.UTF8.GetString(translation.Body));
        return refusal!;
    }

    /// <summary>The <c>messages</c> of a translated request holding <paramref name="messagesJson"/>.</summary>
    public static JsonNode Messages(string messagesJson) => Request($$"""{"messages":{{messagesJson}}}""")["messages"]!;

    /// <summary>Equal as JSON values (member order included), shown as compact JSON when not.</summary>
    public static void Equal(string expected, JsonNode? actual) =>
        Assert.Equal(JsonNode.Parse(expected)!.ToJsonString(), actual?.ToJsonString());

    public static JsonObject Completion(string anthropic, out AnthropicUsage? usage)
    {
        Assert.True(AnthropicResponseTranslator.TryTranslate(Encoding.UTF8.GetBytes(anthropic), "claude-sonnet-4.5", 1700000000, out var completion, out usage));
        return JsonNode.Parse(completion!)!.AsObject();
    }

    /// <summary>Feeds the events to the translator; the chunks it produced, parsed, and the step of the last event.</summary>
    public static (List<JsonObject> Chunks, AnthropicStreamStep Last) Stream(AnthropicStreamTranslator translator, params string[] events)
    {
        var chunks = new List<byte[]>();
        var last = AnthropicStreamStep.Continue;
        foreach (var data in events)
        {
            last = translator.Translate(Encoding.UTF8.GetBytes(data), chunks);
        }

        return (chunks.Select(chunk => JsonNode.Parse(chunk)!.AsObject()).ToList(), last);
    }

    public static string Start(string usage = """{"input_tokens":10,"output_tokens":1}""") =>
        $$$"""{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{{{usage}}}}}""";

    public static string BlockStart(int index, string block) => $$"""{"type":"content_block_start","index":{{index}},"content_block":{{block}}}""";

    public static string Delta(int index, string delta) => $$"""{"type":"content_block_delta","index":{{index}},"delta":{{delta}}}""";

    public static string TextDelta(int index, string text) => Delta(index, $$"""{"type":"text_delta","text":{{JsonValue.Create(text).ToJsonString()}}}""");

    public static string JsonDelta(int index, string partial) => Delta(index, $$"""{"type":"input_json_delta","partial_json":{{JsonValue.Create(partial).ToJsonString()}}}""");

    public static string BlockStop(int index) => $$"""{"type":"content_block_stop","index":{{index}}}""";

    public static string MessageDelta(string stopReason, string usage) =>
        $$"""{"type":"message_delta","delta":{"stop_reason":"{{stopReason}}","stop_sequence":null},"usage":{{usage}}}""";

    public const string MessageStop = """{"type":"message_stop"}""";

    public const string Ping = """{"type": "ping"}""";

    public static IEnumerable<JsonObject> Deltas(IEnumerable<JsonObject> chunks) =>
        chunks.Where(chunk => chunk["choices"]!.AsArray().Count > 0).Select(chunk => chunk["choices"]![0]!["delta"]!.AsObject());
}
