using Gateway.Grains.Providers.Gemini;
using Gateway.Grains.Providers.Translation;
using static Gateway.Tests.Providers.Gemini.GeminiJson;

namespace Gateway.Tests.Providers.Gemini;

/// <summary>OpenAI request parameters as Gemini's: generation config, candidates, JSON output, thinking, tools and their schemas.</summary>
public sealed class GeminiRequestParametersTests
{
    private const string Hi = """[{"role":"user","content":"Hi"}]""";

    [Fact]
    public void SamplingLimitsAndStopsGoToTheGenerationConfigAndUserIsDropped()
    {
        var (body, translation) = Translate($$"""
            {"model":"gemini-2.5-flash","messages":{{Hi}},"temperature":1.7,"top_p":0.9,"seed":7,"presence_penalty":0.5,"frequency_penalty":-0.5,
             "max_completion_tokens":200,"max_tokens":300,"stop":["END","","Q:"],"user":"u-42","safety_identifier":"s-1","logprobs":true}
            """);

        Equal("""
            {"contents":[{"role":"user","parts":[{"text":"Hi"}]}],
             "generationConfig":{"temperature":1.7,"topP":0.9,"seed":7,"presencePenalty":0.5,"frequencyPenalty":-0.5,"maxOutputTokens":200,"stopSequences":["END","Q:"]}}
            """, body);
        Assert.Equal(new GeminiRequestTranslation(translation.Body, 200, Stream: false, Candidates: 1), translation);
    }

    [Theory]
    [InlineData("\"max_tokens\":300", 300)]
    [InlineData("\"max_tokens\":null", 65536)]
    [InlineData("\"stop\":\"END\"", 65536)]
    public void WithoutALimitNoneIsSentAndTheReservationCoversTheModelsCap(string field, int expected)
    {
        var (body, translation) = Translate($$"""{"messages":{{Hi}},{{field}}}""");

        Assert.Equal(expected, translation.MaxTokens);
        Assert.Equal(expected == 65536 ? null : expected, body["generationConfig"]!["maxOutputTokens"]?.GetValue<int>());
    }

    [Fact]
    public void AStreamedRequestIsMarkedForTheStreamingUrlWithNothingInTheBody()
    {
        var (body, translation) = Translate($$$"""{"messages":{{{Hi}}},"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.True(translation.Stream);
        Assert.Null(body["stream"]);
        Assert.Null(body["stream_options"]);
    }

    [Fact]
    public void NBecomesTheCandidateCountUpToTheModelsLimit()
    {
        var (body, translation) = Translate($$"""{"messages":{{Hi}},"n":3}""");

        Assert.Equal(3, body["generationConfig"]!["candidateCount"]!.GetValue<int>());
        Assert.Equal(3, translation.Candidates);
        Assert.Null(GenerationConfig("\"n\":1")["candidateCount"]);
    }

    [Theory]
    [InlineData("\"n\":9", "This model returns at most 8 choices per request: 'n' must be between 1 and 8.")]
    [InlineData("\"n\":0", "This model returns at most 8 choices per request: 'n' must be between 1 and 8.")]
    [InlineData("\"n\":2.5", "This model returns at most 8 choices per request: 'n' must be between 1 and 8.")]
    [InlineData("\"n\":2,\"stream\":true", "This model streams one choice per request: 'n' must be 1 with 'stream'.")]
    public void TooManyChoicesAreRefused(string fields, string message)
    {
        Assert.Equal(new TranslationRefusal(message, "n", "unsupported_parameter"), Refusal($$"""{"messages":{{Hi}},{{fields}}}"""));
    }

    [Fact]
    public void JsonModeAndJsonSchemaAskForJsonWithTheSchemaInGeminisForm()
    {
        Equal("""{"responseMimeType":"application/json"}""", GenerationConfig("""  "response_format":{"type":"json_object"}  """));
        Equal("{}", GenerationConfig("""  "response_format":{"type":"text"}  """));
        Equal("""
            {"responseMimeType":"application/json","responseSchema":{"type":"object","properties":{"name":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name"]}}
            """, GenerationConfig("""
            "response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,"schema":{
              "$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,
              "properties":{"name":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name"]}}}
            """));
        Assert.Equal("response_format.type", Refusal($$$"""{"messages":{{{Hi}}},"response_format":{"type":"xml"}}""").Param);
    }

    [Theory]
    [InlineData("low", 1024)]
    [InlineData("medium", 8192)]
    [InlineData("high", 24576)]
    [InlineData("minimal", 512)]
    public void ReasoningEffortBecomesAThinkingBudgetWithThoughtsIncluded(string effort, int budget)
    {
        Equal($$$"""{"thinkingConfig":{"thinkingBudget":{{{budget}}},"includeThoughts":true}}""", GenerationConfig($$"""  "reasoning_effort":"{{effort}}"  """));
    }

    [Fact]
    public void TheBudgetIsCappedByTheModelAndRaisesTheClientsLimitWithinTheModelsCap()
    {
        var options = new GeminiRequestOptions(MaxOutputTokens: 30000, MaxThinkingBudget: 16384);
        var (body, translation) = Translate($$"""{"messages":{{Hi}},"reasoning_effort":"xhigh","max_tokens":20000}""", options);

        Equal("""{"maxOutputTokens":30000,"thinkingConfig":{"thinkingBudget":16384,"includeThoughts":true}}""", body["generationConfig"]);
        Assert.Equal(30000, translation.MaxTokens);
        Equal("""{"maxOutputTokens":1100,"thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}}""",
            Request($$"""{"messages":{{Hi}},"reasoning_effort":"low","max_tokens":76}""", options)["generationConfig"]);
    }

    [Fact]
    public void ReasoningEffortNoneTurnsThinkingOffAndAnUnknownEffortIsRefused()
    {
        Equal("""{"thinkingConfig":{"thinkingBudget":0}}""", GenerationConfig("\"reasoning_effort\":\"none\""));
        Assert.Equal("reasoning_effort", Refusal($$"""{"messages":{{Hi}},"reasoning_effort":"max"}""").Param);
    }

    [Fact]
    public void ToolsBecomeFunctionDeclarationsWithUnsupportedSchemaKeywordsRemoved()
    {
        var body = Request("""
            {"messages":[{"role":"user","content":"Hi"}],"tools":[
              {"type":"function","function":{"name":"weather","description":"Weather now","strict":true,"parameters":{
                "$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
                "properties":{"city":{"type":"string","minLength":1,"format":"uri","examples":["Paris"]},
                              "unit":{"type":["string","null"],"enum":["C","F",null]},
                              "days":{"type":"integer","exclusiveMinimum":0,"maximum":7,"const":3}},
                "required":["city"]}}},
              {"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}},
              {"type":"function","function":{"name":"ping"}}],
             "tool_choice":"required","parallel_tool_calls":false}
            """);

        Equal("""
            [{"functionDeclarations":[
              {"name":"weather","description":"Weather now","parameters":{"type":"object",
                "properties":{"city":{"type":"string","minLength":1},
                              "unit":{"type":"string","nullable":true,"enum":["C","F"]},
                              "days":{"type":"integer","maximum":7,"enum":["3"]}},
                "required":["city"]}},
              {"name":"now"},
              {"name":"ping"}]}]
            """, body["tools"]);
        Equal("""{"functionCallingConfig":{"mode":"ANY"}}""", body["toolConfig"]);
    }

    [Fact]
    public void ReferencesAreInlinedAndUnionsBecomeAnyOfOrNullable()
    {
        var body = Request("""
            {"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"order","parameters":{
              "type":"object","$defs":{"Item":{"type":"object","properties":{"sku":{"type":"string"}},"required":["sku"]}},
              "properties":{
                "item":{"$ref":"#/$defs/Item","description":"The item"},
                "gift":{"allOf":[{"$ref":"#/$defs/Item"}],"description":"A gift"},
                "note":{"anyOf":[{"type":"string"},{"type":"null"}]},
                "qty":{"oneOf":[{"type":"integer"},{"type":"string","pattern":"^[0-9]+$"}]},
                "any":{"type":["integer","boolean"]},
                "pair":{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}]}}}}}]}
            """);

        Equal("""
            {"type":"object","properties":{
              "item":{"type":"object","properties":{"sku":{"type":"string"}},"required":["sku"],"description":"The item"},
              "gift":{"type":"object","properties":{"sku":{"type":"string"}},"required":["sku"],"description":"A gift"},
              "note":{"nullable":true,"type":"string"},
              "qty":{"anyOf":[{"type":"integer"},{"type":"string","pattern":"^[0-9]+$"}]},
              "any":{"anyOf":[{"type":"integer"},{"type":"boolean"}]},
              "pair":{"type":"array","items":{"anyOf":[{"type":"string"},{"type":"number"}]}}}}
            """, body["tools"]![0]!["functionDeclarations"]![0]!["parameters"]);
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"next":{"$ref":"#"}}}""", "recursive")]
    [InlineData("""{"type":"object","$defs":{"Node":{"type":"object","properties":{"child":{"$ref":"#/$defs/Node"}}}},"properties":{"root":{"$ref":"#/$defs/Node"}}}""", "recursive")]
    [InlineData("""{"type":"object","properties":{"x":{"$ref":"https://example.com/schema.json"}}}""", "not a definition")]
    public void RecursiveOrRemoteReferencesAreRefused(string parameters, string reason)
    {
        var refusal = Refusal($$$"""{"messages":{{{Hi}}},"tools":[{"type":"function","function":{"name":"f","parameters":{{{parameters}}}}}]}""");

        Assert.Equal(new TranslationRefusal(refusal.Message, "tools[0].function.parameters", "unsupported_value"), refusal);
        Assert.Contains(reason, refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"auto\"", """{"functionCallingConfig":{"mode":"AUTO"}}""")]
    [InlineData("\"none\"", """{"functionCallingConfig":{"mode":"NONE"}}""")]
    [InlineData("""{"type":"function","function":{"name":"ping"}}""", """{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["ping"]}}""")]
    public void ToolChoiceBecomesTheFunctionCallingMode(string choice, string expected)
    {
        var body = Request($$$"""{"messages":{{{Hi}}},"tools":[{"type":"function","function":{"name":"ping"}}],"tool_choice":{{{choice}}}}""");

        Equal(expected, body["toolConfig"]);
    }

    [Theory]
    [InlineData("""  "tools":[{"type":"web_search"}]  """, "tools[0]")]
    [InlineData("""  "tools":{"type":"function"}  """, "tools")]
    [InlineData("""  "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes"  """, "tool_choice")]
    public void ToolsGeminiCannotTakeAreRefused(string fields, string param)
    {
        Assert.Equal(param, Refusal($$"""{"messages":{{Hi}},{{fields}}}""").Param);
    }

    [Fact]
    public void ABodyThatIsNotAJsonObjectIsRefused()
    {
        Assert.Equal("invalid_value", Refusal("[1]").Code);
        Assert.Equal("invalid_value", Refusal("{").Code);
    }
}
