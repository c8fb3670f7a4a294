using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.ApiFrontend.Messages;

namespace Gateway.Tests.AnthropicIngress;

/// <summary>
/// The translation between Anthropic's Messages and OpenAI's chat completions, both ways, on the cases gateways commonly
/// get wrong: tool results placed right after their calls, several tool calls each in its own block, arguments split
/// mid-token, an empty first argument piece, a tool with no arguments, cached input reported apart.
/// </summary>
public sealed class MessagesTranslationTests
{
    [Fact]
    public void ARequestBecomesTheEquivalentChatCompletionBody()
    {
        var chat = Translate("""
            {"model":"gpt-4.1","max_tokens":100,"system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Be kind."}],
             "stop_sequences":["END"],"temperature":0.2,"top_p":0.9,"top_k":5,"metadata":{"user_id":"u-1"},
             "thinking":{"type":"enabled","budget_tokens":8000},
             "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
             "tool_choice":{"type":"any","disable_parallel_tool_use":true},
             "messages":[
               {"role":"user","content":[{"type":"text","text":"Weather in Paris?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},
               {"role":"assistant","content":[{"type":"thinking","thinking":"...","signature":"s"},{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"Sunny"}]},{"type":"text","text":"Thanks"}]}
             ]}
            """);

        Assert.Equal("gpt-4.1", chat["model"]!.GetValue<string>());
        Assert.Equal(100, chat["max_tokens"]!.GetValue<int>());
        Assert.Equal(["END"], chat["stop"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(0.2, chat["temperature"]!.GetValue<double>());
        Assert.Equal(0.9, chat["top_p"]!.GetValue<double>());
        Assert.Null(chat["top_k"]);
        Assert.Equal("u-1", chat["user"]!.GetValue<string>());
        Assert.Equal("medium", chat["reasoning_effort"]!.GetValue<string>());
        Assert.Equal("required", chat["tool_choice"]!.GetValue<string>());
        Assert.False(chat["parallel_tool_calls"]!.GetValue<bool>());
        var function = chat["tools"]![0]!["function"]!;
        Assert.Equal("get_weather", function["name"]!.GetValue<string>());
        Assert.Equal("object", function["parameters"]!["type"]!.GetValue<string>());

        var messages = chat["messages"]!.AsArray();
        Assert.Equal(["system", "user", "assistant", "tool", "user"], messages.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("Be brief.\n\nBe kind.", messages[0]!["content"]!.GetValue<string>());
        Assert.Equal("data:image/png;base64,AAAA", messages[1]!["content"]![1]!["image_url"]!["url"]!.GetValue<string>());
        Assert.Equal("Checking.", messages[2]!["content"]!.GetValue<string>());
        var call = messages[2]!["tool_calls"]![0]!;
        Assert.Equal("toolu_1", call["id"]!.GetValue<string>());
        Assert.Equal("Paris", JsonNode.Parse(call["function"]!["arguments"]!.GetValue<string>())!["city"]!.GetValue<string>());
        Assert.Equal("toolu_1", messages[3]!["tool_call_id"]!.GetValue<string>());
        Assert.Equal("Sunny", messages[3]!["content"]!.GetValue<string>());
        Assert.Equal("Thanks", messages[4]!["content"]!.GetValue<string>());
    }

    [Fact]
    public void ASystemTurnOfTheConversationStaysASystemMessageInItsPlace()
    {
        // Today's API (the official SDKs' SystemMessageParam) takes system turns inside messages.
        var chat = Translate("""
            {"model":"gpt-4.1","max_tokens":10,"messages":[
               {"role":"user","content":"Weather in Paris?"},
               {"role":"assistant","content":"Sunny."},
               {"role":"system","content":[{"type":"text","text":"Answer in French."}]},
               {"role":"user","content":"And tomorrow?"}
             ]}
            """);

        var messages = chat["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "system", "user"], messages.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("Answer in French.", messages[2]!["content"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"type":"auto"}""", "\"auto\"")]
    [InlineData("""{"type":"none"}""", "\"none\"")]
    [InlineData("""{"type":"tool","name":"f"}""", """{"type":"function","function":{"name":"f"}}""")]
    public void AToolChoiceBecomesOpenAisToolChoice(string anthropic, string openAi)
    {
        var chat = Translate("""{"model":"gpt-4.1","max_tokens":5,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":"""
            + anthropic + ""","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(openAi, chat["tool_choice"]!.ToJsonString());
    }

    [Fact]
    public void ACompletionWithToolCallsBecomesAMessageWithToolUseBlocks()
    {
        var completion = """
            {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4.1","choices":[{"index":0,"finish_reason":"tool_calls",
             "message":{"role":"assistant","content":"Let me look.","tool_calls":[
               {"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
               {"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]}}],
             "usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"prompt_tokens_details":{"cached_tokens":60}}}
            """u8.ToArray();

        var message = JsonNode.Parse(MessageResponseWriter.Write(completion, "msg_1", "gpt-4.1"))!;

        Assert.Equal("tool_use", message["stop_reason"]!.GetValue<string>());
        var content = message["content"]!.AsArray();
        Assert.Equal(["text", "tool_use", "tool_use"], content.Select(b => b!["type"]!.GetValue<string>()));
        Assert.Equal("Paris", content[1]!["input"]!["city"]!.GetValue<string>());
        Assert.Equal("call_b", content[2]!["id"]!.GetValue<string>());
        Assert.Equal("{}", content[2]!["input"]!.ToJsonString());
        Assert.Equal(40, message["usage"]!["input_tokens"]!.GetValue<long>());
        Assert.Equal(60, message["usage"]!["cache_read_input_tokens"]!.GetValue<long>());
        Assert.Equal(20, message["usage"]!["output_tokens"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("content_filter", "refusal")]
    public void FinishReasonsBecomeStopReasons(string finish, string stop) => Assert.Equal(stop, StopReasons.From(finish));

    [Fact]
    public void StreamedToolCallsBecomeOneBlockEachWithTheirArgumentsIntact()
    {
        using var rendering = new MessageStreamRendering("msg_1", "gpt-4.1", 50);
        var events = new List<SseItem<byte[]>>();
        rendering.Start(firstChunk: null, events);
        foreach (var chunk in new[]
        {
            """{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""",
            """{"choices":[{"index":0,"delta":{"content":"Checking "},"finish_reason":null}]}""",
            """{"choices":[{"index":0,"delta":{"content":"both."},"finish_reason":null}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Par\u00eds\"}"}}]}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]}}]}""",
            """{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""",
            """{"choices":[],"usage":{"prompt_tokens":48,"completion_tokens":30,"total_tokens":78,"prompt_tokens_details":{"cached_tokens":8}}}""",
        })
        {
            rendering.Chunk(Encoding.UTF8.GetBytes(chunk), events);
        }

        rendering.End(events);
        var stream = events.Select(e => (e.EventType, Data: JsonNode.Parse(e.Data)!)).ToList();

        Assert.Equal(
            ["message_start", "ping",
             "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_stop",
             "message_delta", "message_stop"],
            stream.Select(e => e.EventType));
        Assert.All(stream, e => Assert.Equal(e.EventType, e.Data["type"]!.GetValue<string>()));
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1, 2, 2], stream[2..12].Select(e => e.Data["index"]!.GetValue<int>()));
        Assert.Equal("Checking both.", string.Concat(stream[3..5].Select(e => e.Data["delta"]!["text"]!.GetValue<string>())));
        var tool = stream[6].Data["content_block"]!;
        Assert.Equal(("tool_use", "call_a", "get_weather"), (tool["type"]!.GetValue<string>(), tool["id"]!.GetValue<string>(), tool["name"]!.GetValue<string>()));
        Assert.All(stream[7..9], e => Assert.Equal("input_json_delta", e.Data["delta"]!["type"]!.GetValue<string>()));
        var arguments = string.Concat(stream[7..9].Select(e => e.Data["delta"]!["partial_json"]!.GetValue<string>()));
        Assert.Equal("París", JsonNode.Parse(arguments)!["city"]!.GetValue<string>());
        Assert.Equal("call_b", stream[10].Data["content_block"]!["id"]!.GetValue<string>());
        var delta = stream[12].Data;
        Assert.Equal("tool_use", delta["delta"]!["stop_reason"]!.GetValue<string>());
        Assert.Equal((40L, 8L, 30L), (delta["usage"]!["input_tokens"]!.GetValue<long>(), delta["usage"]!["cache_read_input_tokens"]!.GetValue<long>(), delta["usage"]!["output_tokens"]!.GetValue<long>()));
    }

    private static JsonObject Translate(string anthropic)
    {
        var translated = MessagesRequestTranslator.Translate(Encoding.UTF8.GetBytes(anthropic), "2023-06-01", forCounting: false, out var error);
        Assert.True(translated is not null, $"Refused: {error?.Type}");
        return JsonNode.Parse(translated.ChatBody)!.AsObject();
    }
}
