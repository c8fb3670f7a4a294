using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers.Gemini;
using Gateway.Grains.Providers.Translation;
using static Gateway.Tests.Providers.Gemini.GeminiJson;

namespace Gateway.Tests.Providers.Gemini;

/// <summary>Gemini SSE streams as OpenAI chunks: framing, text, thoughts, function calls, finish, usage, errors, byte splits.</summary>
public sealed class GeminiStreamTranslatorTests
{
    private static readonly string TextStream = Sse(
        Event("""[{"text":"Hel"}]""", usage: """{"promptTokenCount":10,"candidatesTokenCount":1,"totalTokenCount":11}"""),
        Event("""[{"text":"lo \"you\" — é😀"}]""", usage: """{"promptTokenCount":10,"candidatesTokenCount":4,"totalTokenCount":14}"""),
        Event("""[{"text":""}]""", "STOP", """{"promptTokenCount":10,"candidatesTokenCount":6,"totalTokenCount":16}"""));

    [Fact]
    public void ACrlfFramedTextStreamBecomesRoleContentFinishAndUsageChunks()
    {
        var (chunks, last) = Stream(new GeminiStreamTranslator(includeUsage: true, "gemini-2.5-flash", 1700000000), TextStream);

        Assert.Equal(GeminiStreamStep.Completed, last);
        Equal("""
            [{"id":"resp1","object":"chat.completion.chunk","created":1700000000,"model":"gemini-2.5-flash","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]},
             {"id":"resp1","object":"chat.completion.chunk","created":1700000000,"model":"gemini-2.5-flash","choices":[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}]},
             {"id":"resp1","object":"chat.completion.chunk","created":1700000000,"model":"gemini-2.5-flash","choices":[{"index":0,"delta":{"content":"lo \"you\" — é😀"},"logprobs":null,"finish_reason":null}]},
             {"id":"resp1","object":"chat.completion.chunk","created":1700000000,"model":"gemini-2.5-flash","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]},
             {"id":"resp1","object":"chat.completion.chunk","created":1700000000,"model":"gemini-2.5-flash","choices":[],
              "usage":{"prompt_tokens":10,"completion_tokens":6,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}]
            """, new JsonArray([.. chunks]));
    }

    [Fact]
    public void TheLastUsageMetadataIsTheUsageNeverTheSumOfTheRunningTotals()
    {
        var translator = new GeminiStreamTranslator(true, "m", 1);
        Stream(translator, TextStream);

        Assert.Equal(new GeminiUsage(10, 0, 6, 0, 0), translator.Usage);
        Assert.Equal("stop", translator.FinishReason);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r")]
    [InlineData("\r\n")]
    public void LfCrAndCrlfFramingGiveTheSameChunks(string lineEnd)
    {
        var body = TextStream.Replace("\r\n", lineEnd, StringComparison.Ordinal);

        Assert.Equal(Texts(Run(TextStream)), Texts(Run(body)));
    }

    [Fact]
    public void CommentsOtherFieldsAndMultiLineDataAreFramedAsSse()
    {
        var body = ": keep-alive\r\nevent: message\r\nid: 1\r\ndata: {\"candidates\":[{\"content\":{\"parts\":\r\ndata: [{\"text\":\"a\"}]}}]}\r\n\r\n"
            + "data:" + Event("""[{"text":"b"}]""", "STOP") + "\r\n\r\n";

        Assert.Equal(["", "a", "b"], Deltas(Run(body)).Where(delta => delta.ContainsKey("content")).Select(delta => delta["content"]!.GetValue<string>()));
    }

    [Fact]
    public void SeveralFunctionCallsKeepTheirOwnIndexAndStopWithThemIsToolCalls()
    {
        // Portkey #1275: every tool call came out as index 0; LiteLLM #5063: a tool without arguments broke them;
        // LiteLLM #21041: Gemini's STOP after function calls was passed on as "stop".
        var (chunks, _) = Stream(new GeminiStreamTranslator(false, "m", 1), Sse(
            Event("""[{"text":"Checking both."}]"""),
            Event("""[{"functionCall":{"name":"weather","args":{"city":"São Paulo"}},"thoughtSignature":"c2ln"},{"functionCall":{"name":"now"}}]"""),
            Event("""[{"functionCall":{"id":"fc-3","name":"clock","args":{}}}]""", "STOP")));

        var calls = Deltas(chunks).Where(delta => delta.ContainsKey("tool_calls")).Select(delta => delta["tool_calls"]![0]!.DeepClone()).ToList();
        Equal("""
            [{"index":0,"id":"call_resp1_0_0","type":"function","extra_content":{"google":{"thought_signature":"c2ln"}},"function":{"name":"weather","arguments":"{\"city\":\"São Paulo\"}"}},
             {"index":1,"id":"call_resp1_0_1","type":"function","function":{"name":"now","arguments":"{}"}},
             {"index":2,"id":"fc-3","type":"function","function":{"name":"clock","arguments":"{}"}}]
            """, new JsonArray([.. calls]));
        Assert.All(calls, call => JsonDocument.Parse(call["function"]!["arguments"]!.GetValue<string>()).Dispose());
        Assert.Equal("tool_calls", chunks[^1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public void ThoughtsStreamAsReasoningAndCountInCompletionTokens()
    {
        var translator = new GeminiStreamTranslator(true, "m", 1);
        var (chunks, _) = Stream(translator, Sse(
            Event("""[{"text":"Let me think.","thought":true}]""", usage: """{"promptTokenCount":20,"thoughtsTokenCount":90,"totalTokenCount":110}"""),
            Event("""[{"text":"42"}]""", "STOP", """{"promptTokenCount":20,"cachedContentTokenCount":16,"candidatesTokenCount":2,"thoughtsTokenCount":120,"totalTokenCount":142}""")));

        Equal("""[{"role":"assistant","content":""},{"reasoning_content":"Let me think."},{"content":"42"},{}]""",
            new JsonArray([.. Deltas(chunks).Select(delta => delta.DeepClone())]));
        Equal("""{"prompt_tokens":20,"completion_tokens":122,"total_tokens":142,"prompt_tokens_details":{"cached_tokens":16},"completion_tokens_details":{"reasoning_tokens":120}}""",
            chunks[^1]["usage"]);
    }

    [Fact]
    public void APromptBlockedForSafetyEndsWithContentFilter()
    {
        var translator = new GeminiStreamTranslator(false, "m", 1);
        var (chunks, last) = Stream(translator, Sse("""{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":7,"totalTokenCount":7},"responseId":"r"}"""));

        Assert.Equal(GeminiStreamStep.Completed, last);
        Assert.Equal("content_filter", translator.FinishReason);
        Assert.Equal("content_filter", chunks[^1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("SAFETY", "content_filter")]
    [InlineData("MAX_TOKENS", "length")]
    public void TheFinishReasonComesFromTheLastCandidateThatHadOne(string reason, string expected)
    {
        var translator = new GeminiStreamTranslator(false, "m", 1);
        Stream(translator, Sse(Event("""[{"text":"a"}]"""), Event("""[{"text":"b"}]""", reason)));

        Assert.Equal(expected, translator.FinishReason);
    }

    [Fact]
    public void AnErrorEventFailsTheStreamWithWhatGeminiSaid()
    {
        var translator = new GeminiStreamTranslator(true, "m", 1);
        var (chunks, last) = Stream(translator, Sse(Event("""[{"text":"a"}]"""),
            """{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}""", Event("""[{"text":"never"}]""", "STOP")));

        Assert.Equal(GeminiStreamStep.Failed, last);
        Assert.Equal(new GeminiError(503, "UNAVAILABLE", "The model is overloaded."), translator.Error);
        Assert.Equal(UpstreamFailureKind.Overloaded, translator.Error!.Kind);
        Assert.Equal(2, chunks.Count);
        Assert.Equal(GeminiStreamStep.Failed, translator.Complete([]));
    }

    [Theory]
    [InlineData("")]
    [InlineData(": only a comment\r\n\r\n")]
    public void ABodyThatEndsBeforeAFinishReasonIsIncomplete(string body)
    {
        Assert.Equal(GeminiStreamStep.Incomplete, Stream(new GeminiStreamTranslator(true, "m", 1), body).Last);
        Assert.Equal(GeminiStreamStep.Incomplete, Stream(new GeminiStreamTranslator(true, "m", 1), Sse(Event("""[{"text":"a"}]"""))).Last);
    }

    [Theory]
    [InlineData("data: not json\r\n\r\n")]
    [InlineData("data: [1]\r\n\r\n")]
    [InlineData("data: {\"candidates\":[\r\n\r\n")]
    public void AnEventThatIsNotAJsonObjectIsMalformed(string body)
    {
        Assert.Equal(GeminiStreamStep.Malformed, Stream(new GeminiStreamTranslator(true, "m", 1), body).Last);
    }

    [Fact]
    public void ALastEventWithoutItsBlankLineIsReadWhenTheBodyEnds()
    {
        var body = TextStream.TrimEnd('\r', '\n');

        Assert.Equal(Texts(Run(TextStream)), Texts(Run(body)));
    }

    [Fact]
    public void EventsTranslatedOneByOneGiveTheSameChunksAsTheBody()
    {
        var translator = new GeminiStreamTranslator(true, "m", 1);
        var chunks = new List<byte[]>();
        foreach (var line in TextStream.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Equal(GeminiStreamStep.Continue, translator.Translate(Encoding.UTF8.GetBytes(line["data: ".Length..]), chunks));
        }

        Assert.Equal(GeminiStreamStep.Completed, translator.Complete(chunks));
        var body = Encoding.UTF8.GetBytes(TextStream);
        Assert.Equal(Run(body, [body.Length]).Chunks, chunks.Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public void AnySplitOfTheBytesGivesTheSameChunks()
    {
        var body = Encoding.UTF8.GetBytes(Sse(
            Event("""[{"text":"Thinking about São Paulo 😀","thought":true}]""", usage: """{"promptTokenCount":3}"""),
            Event("""[{"text":"Ol\u00e1 — \"quoted\"\nline"}]"""),
            Event("""[{"functionCall":{"name":"weather","args":{"city":"Zürich"}}},{"functionCall":{"name":"now"}}]"""),
            Event("""[{"text":"done"}]""", "STOP", """{"promptTokenCount":3,"candidatesTokenCount":9,"thoughtsTokenCount":4}""")));
        var whole = Run(body, [body.Length]);

        Gen.Int[1, body.Length - 1].Array[0, 12].Sample(cuts =>
        {
            var (chunks, last) = Run(body, [.. cuts.Distinct().Order().Append(body.Length)]);
            Assert.Equal(whole.Last, last);
            Assert.Equal(whole.Chunks.Count, chunks.Count);
            for (var i = 0; i < chunks.Count; i++)
            {
                Assert.Equal(whole.Chunks[i], chunks[i]);
            }
        }, iter: 300);
    }

    [Fact]
    public void AnEventLargerThanTheLimitIsRefusedByTheFramer()
    {
        var framer = new SseEventFramer(maxEventBytes: 16);
        var events = new List<byte[]>();

        Assert.True(framer.Feed("data: 0123456789\r\n\r\n"u8, events));
        Assert.False(framer.Feed("data: 0123456789abcdefg"u8, events));
        Assert.Equal(["0123456789"], events.Select(Encoding.UTF8.GetString));
    }

    [Theory]
    [InlineData(400, "INVALID_ARGUMENT", UpstreamFailureKind.Refused)]
    [InlineData(404, "NOT_FOUND", UpstreamFailureKind.Refused)]
    [InlineData(400, "FAILED_PRECONDITION", UpstreamFailureKind.AuthFailed)]
    [InlineData(403, "PERMISSION_DENIED", UpstreamFailureKind.AuthFailed)]
    [InlineData(401, "UNAUTHENTICATED", UpstreamFailureKind.AuthFailed)]
    [InlineData(429, "RESOURCE_EXHAUSTED", UpstreamFailureKind.RateLimited)]
    [InlineData(500, "INTERNAL", UpstreamFailureKind.ProviderError)]
    [InlineData(503, "UNAVAILABLE", UpstreamFailureKind.Overloaded)]
    [InlineData(504, "DEADLINE_EXCEEDED", UpstreamFailureKind.TimedOut)]
    [InlineData(429, "SOMETHING_NEW", UpstreamFailureKind.RateLimited)]
    [InlineData(502, "SOMETHING_NEW", UpstreamFailureKind.ProviderError)]
    public void GeminiErrorsBecomeFailureKinds(int code, string status, UpstreamFailureKind kind)
    {
        var body = Encoding.UTF8.GetBytes($$$"""{"error":{"code":{{{code}}},"message":"m","status":"{{{status}}}","details":[]}}""");

        Assert.True(GeminiError.TryReadBody(body, out var error));
        Assert.Equal(new GeminiError(code, status, "m"), error);
        Assert.Equal(kind, error!.Kind);
    }

    [Fact]
    public void AnErrorBodyInAnArrayIsReadAndOtherBodiesAreNotErrors()
    {
        Assert.True(GeminiError.TryReadBody("""[{"error":{"code":429,"message":"Quota","status":"RESOURCE_EXHAUSTED"}}]"""u8.ToArray(), out var error));
        Assert.Equal(new GeminiError(429, "RESOURCE_EXHAUSTED", "Quota"), error);
        Assert.False(GeminiError.TryReadBody("<html>Bad gateway</html>"u8.ToArray(), out _));
        Assert.False(GeminiError.TryReadBody("""{"candidates":[]}"""u8.ToArray(), out _));
        Assert.Equal(new GeminiError(0, "UNKNOWN", ""), GeminiError.Read(default));
    }

    private static List<JsonObject> Run(string body) => Stream(new GeminiStreamTranslator(true, "m", 1), body).Chunks;

    private static List<string> Texts(List<JsonObject> chunks) => chunks.Select(chunk => chunk.ToJsonString()).ToList();

    // Feeds the body cut at the given points (each the end of a piece), then ends it; the chunks as text and the step.
    private static (List<string> Chunks, GeminiStreamStep Last) Run(byte[] body, int[] ends)
    {
        var translator = new GeminiStreamTranslator(true, "m", 1);
        var chunks = new List<byte[]>();
        var start = 0;
        foreach (var end in ends)
        {
            Assert.Equal(GeminiStreamStep.Continue, translator.Feed(body.AsSpan(start, end - start), chunks));
            start = end;
        }

        var last = translator.Complete(chunks);
        return (chunks.Select(Encoding.UTF8.GetString).ToList(), last);
    }
}
