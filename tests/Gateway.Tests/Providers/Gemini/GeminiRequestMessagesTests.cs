using Gateway.Grains.Providers.Translation;
using static Gateway.Tests.Providers.Gemini.GeminiJson;

namespace Gateway.Tests.Providers.Gemini;

/// <summary>OpenAI chat messages as Gemini's systemInstruction and contents: roles, media, function calls and responses.</summary>
public sealed class GeminiRequestMessagesTests
{
    [Fact]
    public void SystemAndDeveloperMessagesGoToTheSystemInstructionWhereverTheyAre()
    {
        var body = Request("""
            {"model":"gemini-2.5-flash","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},
              {"role":"developer","content":[{"type":"text","text":"Use metric units."}]}]}
            """);

        Equal("""
            {"contents":[{"role":"user","parts":[{"text":"Hi"}]}],
             "systemInstruction":{"parts":[{"text":"Be brief."},{"text":"Use metric units."}]},
             "generationConfig":{}}
            """, body);
    }

    [Fact]
    public void AssistantIsTheModelRoleAndConsecutiveSameRoleTurnsAreMergedWithEmptyOnesDropped()
    {
        var contents = Contents("""
            [{"role":"user","content":"a"},{"role":"assistant","content":""},{"role":"user","content":[{"type":"text","text":"b"},{"type":"text","text":""}]},
             {"role":"assistant","content":"c"},{"role":"assistant","content":[{"type":"text","text":"d"},{"type":"refusal","refusal":"e"}]}]
            """);

        Equal("""
            [{"role":"user","parts":[{"text":"a"},{"text":"b"}]},
             {"role":"model","parts":[{"text":"c"},{"text":"d"},{"text":"e"}]}]
            """, contents);
    }

    [Fact]
    public void DataUrisBecomeInlineDataAndHttpUrlsFileData()
    {
        var contents = Contents("""
            [{"role":"user","content":[{"type":"text","text":"Compare"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo+/=","detail":"high"}},
              {"type":"image_url","image_url":{"url":"data:image\/JPEG;base64,\/9j\/4AAQ"}},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.webp"}},
              {"type":"image_url","image_url":"https://example.com/image?id=7"},
              {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"}},
              {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}]}]
            """);

        Equal("""
            [{"role":"user","parts":[{"text":"Compare"},
              {"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo+/="}},
              {"inlineData":{"mimeType":"image/jpeg","data":"/9j/4AAQ"}},
              {"fileData":{"mimeType":"image/webp","fileUri":"https://example.com/cat.webp"}},
              {"fileData":{"fileUri":"https://example.com/image?id=7"}},
              {"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}},
              {"inlineData":{"mimeType":"audio/wav","data":"UklGRg=="}}]}]
            """, contents);
    }

    [Theory]
    [InlineData("""{"type":"image_url","image_url":{"url":"data:image/png,rawbytes"}}""", "messages[0].content[0].image_url")]
    [InlineData("""{"type":"image_url","image_url":{"url":"ftp://example.com/a.png"}}""", "messages[0].content[0].image_url")]
    [InlineData("""{"type":"input_audio","input_audio":{"data":"AAAA","format":"flac"}}""", "messages[0].content[0].input_audio")]
    [InlineData("""{"type":"file","file":{"file_id":"file-abc"}}""", "messages[0].content[0].type")]
    [InlineData("""{"type":"video_url","video_url":{"url":"https://example.com/v.mp4"}}""", "messages[0].content[0].type")]
    public void ContentGeminiCannotTakeIsRefusedNamingThePart(string part, string param)
    {
        var refusal = Refusal($$"""{"messages":[{"role":"user","content":[{{part}}]}]}""");

        Assert.Equal(param, refusal.Param);
        Assert.Equal("unsupported_value", refusal.Code);
    }

    [Fact]
    public void ImagesInASystemMessageAreRefused()
    {
        var refusal = Refusal("""{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]},{"role":"user","content":"Hi"}]}""");

        Assert.Equal(new TranslationRefusal(refusal.Message, "messages[0].content[0].type", "unsupported_value"), refusal);
    }

    [Fact]
    public void ToolCallsBecomeFunctionCallsAndToolResultsFunctionResponsesByName()
    {
        var contents = Contents("""
            [{"role":"user","content":"Weather in Paris and the time?"},
             {"role":"assistant","content":"Checking.","tool_calls":[
               {"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"},"extra_content":{"google":{"thought_signature":"c2ln"}}},
               {"id":"call_2","type":"function","function":{"name":"clock","arguments":""}}]},
             {"role":"tool","tool_call_id":"call_1","content":"{\"temp\":21}"},
             {"role":"tool","tool_call_id":"call_2","content":"12:00"},
             {"role":"user","content":"Thanks"}]
            """);

        Equal("""
            [{"role":"user","parts":[{"text":"Weather in Paris and the time?"}]},
             {"role":"model","parts":[{"text":"Checking."},
               {"functionCall":{"name":"weather","args":{"city":"Paris"}},"thoughtSignature":"c2ln"},
               {"functionCall":{"name":"clock","args":{}}}]},
             {"role":"user","parts":[
               {"functionResponse":{"name":"weather","response":{"temp":21}}},
               {"functionResponse":{"name":"clock","response":{"result":"12:00"}}},
               {"text":"Thanks"}]}]
            """, contents);
    }

    [Theory]
    [InlineData("\"[1,2]\"", """{"result":[1,2]}""")]
    [InlineData("\"42\"", """{"result":42}""")]
    [InlineData("\"not json {\"", """{"result":"not json {"}""")]
    [InlineData("\"\"", """{"result":""}""")]
    [InlineData("""[{"type":"text","text":"{\"a\":"},{"type":"text","text":"1}"}]""", """{"a":1}""")]
    public void AToolResultThatIsNotAJsonObjectIsWrappedInOne(string content, string expected)
    {
        var contents = Contents($$$"""
            [{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},
             {"role":"tool","tool_call_id":"c","content":{{{content}}}}]
            """);

        Equal(expected, contents[2]!["parts"]![0]!["functionResponse"]!["response"]);
    }

    [Fact]
    public void AToolResultForNoEarlierToolCallIsRefused()
    {
        var refusal = Refusal("""{"messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"nope","content":"1"}]}""");

        Assert.Equal("messages[1].tool_call_id", refusal.Param);
        Assert.Equal("invalid_value", refusal.Code);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"function","name":"f","content":"1"}]}""", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"assistant","function_call":{"name":"f","arguments":"{}"}}]}""", "messages[0].function_call")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}],"functions":[{"name":"f"}]}""", "functions")]
    [InlineData("""{"messages":[{"role":"system","content":"only a system message"}]}""", "messages")]
    [InlineData("""{"messages":"hi"}""", "messages")]
    public void LegacyFunctionsAndConversationsWithoutTurnsAreRefused(string request, string param)
    {
        Assert.Equal(param, Refusal(request).Param);
    }
}
