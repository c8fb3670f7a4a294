using CsCheck;
using Gateway.Grains.Providers.Anthropic;
using Gateway.Grains.Providers.Translation;
using static Gateway.Tests.Providers.Anthropic.AnthropicJson;

namespace Gateway.Tests.Providers.Anthropic;

/// <summary>OpenAI chat messages as Anthropic's system and turns: roles, content parts, tool calls and results, replayed thinking.</summary>
public sealed class AnthropicRequestMessagesTests
{
    [Fact]
    public void SystemAndDeveloperMessagesGoToSystemInOrderWhereverTheyAre()
    {
        var body = Request("""
            {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},
              {"role":"developer","content":[{"type":"text","text":"Use metric units."}]}]}
            """);

        Equal("""[{"type":"text","text":"Be brief."},{"type":"text","text":"Use metric units."}]""", body["system"]);
        Equal("""[{"role":"user","content":[{"type":"text","text":"Hi"}]}]""", body["messages"]);
    }

    [Fact]
    public void ConsecutiveTurnsOfOneRoleAreMergedAndEmptyOnesDropped()
    {
        var messages = Messages("""
            [{"role":"user","content":"a"},{"role":"assistant","content":""},{"role":"user","content":[{"type":"text","text":"b"},{"type":"text","text":""}]},
             {"role":"assistant","content":"c"},{"role":"assistant","content":[{"type":"text","text":"d"}]}]
            """);

        Equal("""
            [{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
             {"role":"assistant","content":[{"type":"text","text":"c"},{"type":"text","text":"d"}]}]
            """, messages);
    }

    [Fact]
    public void ImageDataUrisBecomeBase64SourcesAndOtherUrlsUrlSources()
    {
        var messages = Messages("""
            [{"role":"user","content":[{"type":"text","text":"Compare"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo+/=","detail":"high"}},
              {"type":"image_url","image_url":{"url":"data:image\/JPEG;base64,\/9j\/4AAQ"}},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.webp"}}]}]
            """);

        Equal("""
            [{"role":"user","content":[{"type":"text","text":"Compare"},
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo+/="}},
              {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}},
              {"type":"image","source":{"type":"url","url":"https://example.com/cat.webp"}}]}]
            """, messages);
    }

    [Theory]
    [InlineData("data:image/svg+xml;base64,PHN2Zz4=")]
    [InlineData("data:image/png,rawbytes")]
    public void AnImageDataUriAnthropicCannotTakeIsRefused(string url)
    {
        var refusal = Refusal($$$"""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"{{{url}}}"}}]}]}""");

        Assert.Equal(new TranslationRefusal(refusal.Message, "messages[0].content[0].image_url", "unsupported_value"), refusal);
        Assert.Contains("image/png", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContentPartsAnthropicCannotTakeAreRefusedNamingThePart()
    {
        var refusal = Refusal("""
            {"messages":[{"role":"user","content":[{"type":"text","text":"Listen"},{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}
            """);

        Assert.Equal("messages[0].content[1].type", refusal.Param);
        Assert.Equal("unsupported_value", refusal.Code);
        Assert.Contains("input_audio", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AssistantToolCallsBecomeToolUseBlocksWithTheirArgumentsAsObjects()
    {
        var messages = Messages("""
            [{"role":"user","content":"Weather?"},
             {"role":"assistant","content":"Checking.","tool_calls":[
               {"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\",\"days\":[1,2]}"}},
               {"id":"call_2","type":"function","function":{"name":"clock","arguments":""}},
               {"id":"call_3","type":"function","function":{"name":"broken","arguments":"{\"city\":"}},
               {"id":"call_4","type":"function","function":{"name":"listy","arguments":"[1]"}}]}]
            """);

        Equal("""
            [{"type":"text","text":"Checking."},
             {"type":"tool_use","id":"call_1","name":"weather","input":{"city":"Paris","days":[1,2]}},
             {"type":"tool_use","id":"call_2","name":"clock","input":{}},
             {"type":"tool_use","id":"call_3","name":"broken","input":{}},
             {"type":"tool_use","id":"call_4","name":"listy","input":{}}]
            """, messages[1]!["content"]);
    }

    [Fact]
    public void AllToolResultsOfATurnComeFirstInOneUserMessage()
    {
        var messages = Messages("""
            [{"role":"user","content":"Weather and time?"},
             {"role":"assistant","content":null,"tool_calls":[
               {"id":"call_1","type":"function","function":{"name":"weather","arguments":"{}"}},
               {"id":"call_2","type":"function","function":{"name":"clock","arguments":"{}"}}]},
             {"role":"user","content":"Be quick."},
             {"role":"tool","tool_call_id":"call_1","content":"Sunny"},
             {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"12:00"},{"type":"text","text":""}]},
             {"role":"tool","tool_call_id":"call_3","content":""}]
            """);

        Assert.Equal(3, messages.AsArray().Count);
        Equal("""
            {"role":"user","content":[
              {"type":"tool_result","tool_use_id":"call_1","content":"Sunny"},
              {"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"12:00"}]},
              {"type":"tool_result","tool_use_id":"call_3"},
              {"type":"text","text":"Be quick."}]}
            """, messages[2]);
    }

    [Fact]
    public void ToolIdsOutsideAnthropicsAlphabetMapTheSameWayInTheCallAndItsResult()
    {
        var messages = Messages("""
            [{"role":"user","content":"Go"},
             {"role":"assistant","tool_calls":[{"id":"functions.get_weather:0","type":"function","function":{"name":"get_weather","arguments":"{}"}},
                                               {"id":"call_ok-1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
             {"role":"tool","tool_call_id":"functions.get_weather:0","content":"rain"},
             {"role":"tool","tool_call_id":"call_ok-1","content":"sun"}]
            """);

        var mapped = messages[1]!["content"]![0]!["id"]!.GetValue<string>();
        Assert.Matches("^[a-zA-Z0-9_-]+$", mapped);
        Assert.StartsWith("functions_get_weather_0_", mapped, StringComparison.Ordinal);
        Assert.Equal(mapped, messages[2]!["content"]![0]!["tool_use_id"]!.GetValue<string>());
        Assert.Equal("call_ok-1", messages[1]!["content"]![1]!["id"]!.GetValue<string>());
        Assert.Equal("call_ok-1", messages[2]!["content"]![1]!["tool_use_id"]!.GetValue<string>());
    }

    [Fact]
    public void ToolIdMappingIsDeterministicFitsAnthropicAndKeepsDistinctIdsApart()
    {
        Gen.String.Sample(id =>
        {
            var mapped = AnthropicToolIds.ToAnthropic(id);
            Assert.True(AnthropicToolIds.Fits(mapped), mapped);
            Assert.Equal(mapped, AnthropicToolIds.ToAnthropic(id));
            if (AnthropicToolIds.Fits(id))
            {
                Assert.Equal(id, mapped);
            }
        });

        Assert.NotEqual(AnthropicToolIds.ToAnthropic("a.b"), AnthropicToolIds.ToAnthropic("a:b"));
        Assert.NotEqual("a_b", AnthropicToolIds.ToAnthropic("a.b"));
    }

    [Fact]
    public void ThinkingCarriedOnAnAssistantMessageIsReplayedFirstBeforeItsTextAndToolUse()
    {
        // LiteLLM #15601: with thinking on, an assistant turn that used a tool must start with its thinking block.
        var body = Request("""
            {"reasoning_effort":"low","messages":[{"role":"user","content":"Weather in Paris?"},
             {"role":"assistant","content":"Let me check.","reasoning_content":"I should call the tool.",
              "thinking_blocks":[{"type":"thinking","thinking":"I should call the tool.","signature":"sig-1"},
                                 {"type":"redacted_thinking","data":"EncryptedBlob"},
                                 {"type":"thinking","thinking":"unsigned, cannot be replayed"}],
              "tool_calls":[{"id":"toolu_01","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},
             {"role":"tool","tool_call_id":"toolu_01","content":"Sunny"}]}
            """);

        Equal("""
            [{"type":"thinking","thinking":"I should call the tool.","signature":"sig-1"},
             {"type":"redacted_thinking","data":"EncryptedBlob"},
             {"type":"text","text":"Let me check."},
             {"type":"tool_use","id":"toolu_01","name":"weather","input":{"city":"Paris"}}]
            """, body["messages"]![1]!["content"]);
        Equal("""{"type":"enabled","budget_tokens":2048}""", body["thinking"]);
    }

    [Fact]
    public void ThinkingFromAnAnswerGoesBackFirstWhenTheClientReturnsTheMessage()
    {
        var completion = Completion("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":9},
             "content":[{"type":"thinking","thinking":"Need the tool.","signature":"sig-9"},
                        {"type":"tool_use","id":"toolu_9","name":"weather","input":{"city":"Oslo"}}]}
            """, out _);
        var assistant = completion["choices"]![0]!["message"]!.DeepClone();

        var messages = Messages($$"""
            [{"role":"user","content":"Oslo?"},{{assistant.ToJsonString()}},{"role":"tool","tool_call_id":"toolu_9","content":"Snow"}]
            """);

        Equal("""
            [{"type":"thinking","thinking":"Need the tool.","signature":"sig-9"},
             {"type":"tool_use","id":"toolu_9","name":"weather","input":{"city":"Oslo"}}]
            """, messages[1]!["content"]);
    }

    [Theory]
    [InlineData("""[{"role":"function","name":"f","content":"x"}]""", "messages[0].role")]
    [InlineData("""[{"role":"assistant","function_call":{"name":"f","arguments":"{}"}}]""", "messages[0].function_call")]
    [InlineData("""[{"role":"tool","content":"x"}]""", "messages[0].tool_call_id")]
    [InlineData("""[{"role":"assistant","tool_calls":[{"id":"c","type":"custom","custom":{"name":"f"}}]}]""", "messages[0].tool_calls[0]")]
    [InlineData("""[{"role":"system","content":"only a system prompt"}]""", "messages")]
    public void MessagesAnthropicCannotTakeAreRefusedNamingTheField(string messages, string param)
    {
        var refusal = Refusal($$"""{"messages":{{messages}}}""");

        Assert.Equal(param, refusal.Param);
    }
}
