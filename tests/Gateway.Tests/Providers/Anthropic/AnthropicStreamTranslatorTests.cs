using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Providers.Anthropic;
using Gateway.Grains.Upstream;
using static Gateway.Tests.Providers.Anthropic.AnthropicJson;

namespace Gateway.Tests.Providers.Anthropic;

/// <summary>Anthropic stream events as OpenAI chunks: text, tool calls and their arguments, thinking, usage, errors.</summary>
public sealed class AnthropicStreamTranslatorTests
{
    private const string TextBlock = """{"type":"text","text":""}""";

    [Fact]
    public void ATextStreamBecomesRoleContentFinishAndUsageChunks()
    {
        var (chunks, last) = Stream(new AnthropicStreamTranslator(includeUsage: true, "claude-sonnet-4.5", 1700000000),
            Start(), BlockStart(0, TextBlock), Ping, TextDelta(0, "Hel"), TextDelta(0, "lo \"you\""), BlockStop(0),
            MessageDelta("end_turn", """{"output_tokens":5}"""), MessageStop);

        Assert.Equal(AnthropicStreamStep.Completed, last);
        Equal("""
            [{"id":"msg_1","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4.5","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]},
             {"id":"msg_1","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4.5","choices":[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}]},
             {"id":"msg_1","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4.5","choices":[{"index":0,"delta":{"content":"lo \"you\""},"logprobs":null,"finish_reason":null}]},
             {"id":"msg_1","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4.5","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]},
             {"id":"msg_1","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4.5","choices":[],
              "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}]
            """, new JsonArray([.. chunks]));
    }

    [Fact]
    public void WithoutIncludeUsageTheLastChunkIsTheFinishChunk()
    {
        var translator = new AnthropicStreamTranslator(includeUsage: false, null, 1);
        var (chunks, _) = Stream(translator, Start(), BlockStart(0, TextBlock), TextDelta(0, "x"), BlockStop(0),
            MessageDelta("max_tokens", """{"output_tokens":1}"""), MessageStop);

        Assert.Equal("length", chunks[^1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Equal("claude-sonnet-4-5-20250929", chunks[^1]["model"]!.GetValue<string>());
        Assert.Equal("length", translator.FinishReason);
        Assert.Equal(new AnthropicUsage(10, 0, 0, 0, 1, 0), translator.Usage);
    }

    [Fact]
    public void SeveralToolCallsKeepTheirOwnIndexInOrderOfAppearance()
    {
        // Portkey #1275: every tool call came out as index 0, so clients merged them into one.
        var (chunks, _) = Stream(new AnthropicStreamTranslator(true, "m", 1),
            Start(), BlockStart(0, TextBlock), TextDelta(0, "Checking both."), BlockStop(0),
            BlockStart(1, """{"type":"tool_use","id":"toolu_a","name":"weather","input":{}}"""), JsonDelta(1, "{\"city\": \"Paris\"}"), BlockStop(1),
            BlockStart(2, """{"type":"tool_use","id":"toolu_b","name":"clock","input":{}}"""), JsonDelta(2, "{\"tz\": \"CET\"}"), BlockStop(2),
            MessageDelta("tool_use", """{"output_tokens":30}"""), MessageStop);

        var calls = Deltas(chunks).Where(delta => delta.ContainsKey("tool_calls")).Select(delta => delta["tool_calls"]![0]!).ToList();
        Equal("""
            [{"index":0,"id":"toolu_a","type":"function","function":{"name":"weather","arguments":""}},
             {"index":0,"function":{"arguments":"{\"city\": \"Paris\"}"}},
             {"index":1,"id":"toolu_b","type":"function","function":{"name":"clock","arguments":""}},
             {"index":1,"function":{"arguments":"{\"tz\": \"CET\"}"}}]
            """, new JsonArray([.. calls.Select(call => call.DeepClone())]));
        Assert.Equal("tool_calls", chunks[^2]["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public void AnEmptyFirstInputDeltaAndAToolWithoutArgumentsGiveValidArguments()
    {
        // LiteLLM #5063: an empty first input_json_delta, and a tool called with no arguments, broke the arguments.
        var (chunks, _) = Stream(new AnthropicStreamTranslator(true, "m", 1),
            Start(),
            BlockStart(0, """{"type":"tool_use","id":"toolu_a","name":"now","input":{}}"""), JsonDelta(0, ""), BlockStop(0),
            BlockStart(1, """{"type":"tool_use","id":"toolu_b","name":"find","input":{}}"""), JsonDelta(1, ""), JsonDelta(1, "{\"q\":"), JsonDelta(1, "\"x\"}"), BlockStop(1),
            MessageDelta("tool_use", """{"output_tokens":9}"""), MessageStop);

        var arguments = ArgumentsByIndex(chunks);
        Assert.Equal(["{}", "{\"q\":\"x\"}"], arguments);
        Assert.All(arguments, json => JsonDocument.Parse(json).Dispose());
        // Each tool's start, "{}" for the first, the two pieces of the second: the empty deltas produced nothing.
        Assert.Equal(5, Deltas(chunks).Count(delta => delta.ContainsKey("tool_calls")));
    }

    [Fact]
    public void ArgumentsSplitMidTokenAreReassembledIntact()
    {
        const string Arguments = "{\"city\": \"São Paulo\", \"note\": \"line\\nbreak \\\"quoted\\\" 😀\", \"n\": [1, 2.5]}";
        Gen.Int[1, Arguments.Length - 1].Array[0, 6].Sample(cuts =>
        {
            var points = cuts.Where(cut => !char.IsLowSurrogate(Arguments[cut])).Distinct().Order().Prepend(0).Append(Arguments.Length).ToArray();
            var events = new List<string> { Start(), BlockStart(0, """{"type":"tool_use","id":"toolu_a","name":"f","input":{}}""") };
            for (var i = 0; i < points.Length - 1; i++)
            {
                events.Add(JsonDelta(0, Arguments[points[i]..points[i + 1]]));
            }

            events.AddRange([BlockStop(0), MessageDelta("tool_use", """{"output_tokens":9}"""), MessageStop]);
            var (chunks, _) = Stream(new AnthropicStreamTranslator(false, "m", 1), [.. events]);

            Assert.Equal([Arguments], ArgumentsByIndex(chunks));
        }, iter: 200);
    }

    [Fact]
    public void MessageDeltaUsageIsCumulativeAndOverwritesInsteadOfAdding()
    {
        var translator = new AnthropicStreamTranslator(true, "m", 1);
        var (chunks, _) = Stream(translator,
            Start("""{"input_tokens":10,"cache_read_input_tokens":2000,"cache_creation_input_tokens":100,"output_tokens":1}"""),
            BlockStart(0, TextBlock), TextDelta(0, "x"), BlockStop(0),
            MessageDelta("end_turn", """{"output_tokens":20}"""),
            MessageDelta("end_turn", """{"input_tokens":10,"cache_read_input_tokens":2000,"cache_creation_input_tokens":100,"output_tokens":35}"""),
            MessageStop);

        Assert.Equal(new AnthropicUsage(10, 2000, 100, 0, 35, 0), translator.Usage);
        Equal("""{"prompt_tokens":2110,"completion_tokens":35,"total_tokens":2145,"prompt_tokens_details":{"cached_tokens":2000},"completion_tokens_details":{"reasoning_tokens":0}}""",
            chunks[^1]["usage"]);
    }

    [Fact]
    public void TheOneHourCacheWriteSplitIsReadFromMessageStartAndOverwrittenByMessageDelta()
    {
        var translator = new AnthropicStreamTranslator(true, "m", 1);
        Stream(translator,
            Start("""{"input_tokens":10,"cache_creation_input_tokens":500,"cache_creation":{"ephemeral_5m_input_tokens":500,"ephemeral_1h_input_tokens":0},"output_tokens":1}"""),
            BlockStart(0, TextBlock), TextDelta(0, "x"), BlockStop(0));
        Assert.Equal(new AnthropicUsage(10, 0, 500, 0, 1, 0), translator.Usage);

        Stream(translator,
            MessageDelta("end_turn", """{"cache_creation_input_tokens":500,"cache_creation":{"ephemeral_5m_input_tokens":200,"ephemeral_1h_input_tokens":300},"output_tokens":9}"""),
            MessageStop);

        Assert.Equal(new AnthropicUsage(10, 0, 500, 300, 9, 0), translator.Usage);
        Assert.Equal(new CompletionUsage.Figures(510, 9, Counted: false, CacheWrite: 500, CacheWrite1h: 300), AnthropicUpstream.Figures(translator.Usage!.Value));
    }

    [Fact]
    public void ThinkingStreamsAsReasoningAndEndsAsAWholeBlockToSendBack()
    {
        var (chunks, _) = Stream(new AnthropicStreamTranslator(false, "m", 1),
            Start(), BlockStart(0, """{"type":"thinking","thinking":"","signature":""}"""),
            Delta(0, """{"type":"thinking_delta","thinking":"Let me "}"""), Delta(0, """{"type":"thinking_delta","thinking":"think \"hard\"."}"""),
            Delta(0, """{"type":"signature_delta","signature":"EqQBCgIYAh"}"""), BlockStop(0),
            BlockStart(1, """{"type":"redacted_thinking","data":"opaque"}"""), BlockStop(1),
            BlockStart(2, TextBlock), TextDelta(2, "Done."), BlockStop(2), MessageDelta("end_turn", """{"output_tokens":50}"""), MessageStop);

        Equal("""
            [{"role":"assistant","content":""},{"reasoning_content":"Let me "},{"reasoning_content":"think \"hard\"."},
             {"thinking_blocks":[{"type":"thinking","thinking":"Let me think \"hard\".","signature":"EqQBCgIYAh"}]},
             {"thinking_blocks":[{"type":"redacted_thinking","data":"opaque"}]},
             {"content":"Done."},{}]
            """, new JsonArray([.. Deltas(chunks).Select(delta => delta.DeepClone())]));
    }

    [Fact]
    public void WhatTheChunksGeneratedIsKeptAsAClientReadsItAndTheUsageChunkIsKnown()
    {
        // The worker charges a stream cut short this text rather than reading every chunk back: content, each tool call's
        // name and arguments, not thinking; an emoji escaped as two halves in two deltas joins again.
        var translator = new AnthropicStreamTranslator(true, "m", 1);
        Stream(translator, Start(),
            BlockStart(0, """{"type":"thinking","thinking":"","signature":""}"""), Delta(0, """{"type":"thinking_delta","thinking":"hmm"}"""), BlockStop(0),
            BlockStart(1, TextBlock), Delta(1, """{"type":"text_delta","text":"Caf\u00e9 \"\uD83D"}"""), Delta(1, """{"type":"text_delta","text":"\uDE00\"\n"}"""), BlockStop(1),
            BlockStart(2, """{"type":"tool_use","id":"toolu_a","name":"f\u00e9","input":{"a":"\u00e9"}}"""), BlockStop(2),
            BlockStart(3, """{"type":"tool_use","id":"toolu_b","name":"g","input":{}}"""), BlockStop(3),
            BlockStart(4, """{"type":"tool_use","id":"toolu_c","name":"h","input":{}}"""), JsonDelta(4, "{\"q\":"), JsonDelta(4, "\"x\"}"), BlockStop(4),
            MessageDelta("tool_use", """{"output_tokens":9}"""));
        var chunks = new List<byte[]>();

        Assert.Equal(AnthropicStreamStep.Completed, translator.Translate(Encoding.UTF8.GetBytes(MessageStop), chunks));
        Assert.Equal("Café \"😀\"\nfé{\"a\":\"\\u00e9\"}g{}h{\"q\":\"x\"}", translator.GeneratedText);
        Assert.Equal([false, true], chunks.Select(translator.IsUsageChunk));
    }

    [Fact]
    public void ServerToolBlocksAndUnknownEventsProduceNothing()
    {
        var (chunks, last) = Stream(new AnthropicStreamTranslator(false, "m", 1),
            Start(), BlockStart(0, """{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}"""),
            JsonDelta(0, "{\"query\":\"x\"}"), BlockStop(0), """{"type":"something_new","x":1}""", Ping);

        Assert.Equal(AnthropicStreamStep.Continue, last);
        Assert.Single(chunks);
    }

    [Fact]
    public void AnErrorEventFailsTheStreamWithWhatAnthropicSaid()
    {
        var translator = new AnthropicStreamTranslator(true, "m", 1);
        var (_, last) = Stream(translator, Start(), BlockStart(0, TextBlock), TextDelta(0, "x"),
            """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""");

        Assert.Equal(AnthropicStreamStep.Failed, last);
        Assert.Equal(new AnthropicError("overloaded_error", "Overloaded"), translator.Error);
        Assert.Equal(UpstreamFailureKind.Overloaded, translator.Error!.Kind);
    }

    [Theory]
    [InlineData("overloaded_error", UpstreamFailureKind.Overloaded)]
    [InlineData("rate_limit_error", UpstreamFailureKind.RateLimited)]
    [InlineData("api_error", UpstreamFailureKind.ProviderError)]
    [InlineData("timeout_error", UpstreamFailureKind.TimedOut)]
    [InlineData("invalid_request_error", UpstreamFailureKind.Refused)]
    [InlineData("request_too_large", UpstreamFailureKind.Refused)]
    [InlineData("authentication_error", UpstreamFailureKind.AuthFailed)]
    [InlineData("billing_error", UpstreamFailureKind.AuthFailed)]
    [InlineData("some_new_error", UpstreamFailureKind.ProviderError)]
    public void AnthropicErrorTypesBecomeFailureKinds(string type, UpstreamFailureKind kind)
    {
        var error = AnthropicError.Read(JsonDocument.Parse($$"""{"type":"{{type}}","message":"m"}""").RootElement);

        Assert.Equal(new AnthropicError(type, "m"), error);
        Assert.Equal(kind, error.Kind);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"index":0}""")]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}""")]
    [InlineData("""{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""")]
    public void EventsThatAreNotJsonOrComeBeforeTheMessageStartAreMalformed(string data)
    {
        var chunks = new List<byte[]>();

        Assert.Equal(AnthropicStreamStep.Malformed, new AnthropicStreamTranslator(false, "m", 1).Translate(Encoding.UTF8.GetBytes(data), chunks));
        Assert.Empty(chunks);
    }

    [Fact]
    public void ADeltaForABlockThatNeverStartedIsMalformed()
    {
        var translator = new AnthropicStreamTranslator(false, "m", 1);
        Stream(translator, Start());

        Assert.Equal(AnthropicStreamStep.Malformed, translator.Translate(Encoding.UTF8.GetBytes(TextDelta(3, "x")), []));
        Assert.Equal(AnthropicStreamStep.Malformed, translator.Translate(Encoding.UTF8.GetBytes(BlockStart(100_000, TextBlock)), []));
    }

    // The arguments of each tool call, joined across chunks, by OpenAI index.
    private static List<string> ArgumentsByIndex(List<JsonObject> chunks)
    {
        var arguments = new List<StringBuilder>();
        foreach (var delta in Deltas(chunks))
        {
            if (delta["tool_calls"]?[0] is { } call)
            {
                var index = call["index"]!.GetValue<int>();
                while (arguments.Count <= index)
                {
                    arguments.Add(new StringBuilder());
                }

                arguments[index].Append(call["function"]!["arguments"]!.GetValue<string>());
            }
        }

        return arguments.Select(builder => builder.ToString()).ToList();
    }
}
