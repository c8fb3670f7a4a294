using Gateway.Grains.Providers.Anthropic;
using Gateway.Grains.Providers.Translation;
using static Gateway.Tests.Providers.Anthropic.AnthropicJson;

namespace Gateway.Tests.Providers.Anthropic;

/// <summary>OpenAI request parameters as Anthropic's: output limits, sampling by API version, stops, tools, JSON output, thinking, metadata.</summary>
public sealed class AnthropicRequestParametersTests
{
    private const string Hi = """[{"role":"user","content":"Hi"}]""";

    [Fact]
    public void AMinimalRequestNamesTheUpstreamModelAndTheDefaultMaxTokens()
    {
        var (body, translation) = Translate($$"""{"messages":{{Hi}}}""");

        Equal("""{"model":"claude-sonnet-4-5-20250929","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}""", body);
        Assert.Equal(new AnthropicRequestTranslation(translation.Body, 4096, Stream: false), translation);
    }

    [Theory]
    [InlineData("\"max_tokens\":300", 300)]
    [InlineData("\"max_completion_tokens\":200,\"max_tokens\":300", 200)]
    [InlineData("\"max_tokens\":null", 4096)]
    public void MaxTokensComesFromTheClientWhenItNamesThem(string fields, int expected)
    {
        var (body, translation) = Translate($$"""{"messages":{{Hi}},{{fields}}}""");

        Assert.Equal(expected, body["max_tokens"]!.GetValue<int>());
        Assert.Equal(expected, translation.MaxTokens);
    }

    [Theory]
    [InlineData("\"n\":2")]
    [InlineData("\"n\":1.5")]
    public void MoreThanOneChoiceIsRefused(string field)
    {
        Assert.Equal(new TranslationRefusal("This model returns one choice per request: 'n' must be 1.", "n", "unsupported_parameter"),
            Refusal($$"""{"messages":{{Hi}},{{field}}}"""));
        Assert.Null(Request($$"""{"messages":{{Hi}},"n":1}""")["n"]);
    }

    [Theory]
    [InlineData("\"temperature\":1.7", "\"temperature\":1")]
    [InlineData("\"temperature\":0.3,\"top_p\":0.9", "\"temperature\":0.3")]
    [InlineData("\"top_p\":0.9", "\"top_p\":0.9")]
    [InlineData("\"temperature\":null,\"top_p\":null", "")]
    public void SamplingIsClampedToAnthropicsRangeAndNeverSendsBoth(string fields, string expected)
    {
        var body = Request($$"""{"messages":{{Hi}},{{fields}}}""");

        Equal($$"""{"model":"claude-sonnet-4-5-20250929","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]{{(expected.Length > 0 ? "," + expected : "")}}}""", body);
    }

    [Fact]
    public void TheNewerApiVersionGetsNoSamplingParameters()
    {
        var body = Request($$"""{"messages":{{Hi}},"temperature":0.2,"top_p":0.5}""", Options with { ApiVersion = AnthropicApiVersions.V20261021 });

        Assert.Null(body["temperature"]);
        Assert.Null(body["top_p"]);
        Assert.False(AnthropicApiVersions.AcceptsSamplingParameters(AnthropicApiVersions.V20261021));
        Assert.True(AnthropicApiVersions.AcceptsSamplingParameters(AnthropicApiVersions.V20230601));
    }

    [Theory]
    [InlineData("\"stop\":\"END\"", """["END"]""")]
    [InlineData("\"stop\":[\"\\n\\n\",\"END\",\" \",\"\",\"Q:\"]", """["END","Q:"]""")]
    [InlineData("\"stop\":[\"  \"]", null)]
    [InlineData("\"stop\":null", null)]
    public void StopBecomesStopSequencesWithoutWhitespaceOnlyOnes(string field, string? expected)
    {
        var body = Request($$"""{"messages":{{Hi}},{{field}}}""");

        if (expected is null)
        {
            Assert.False(body.ContainsKey("stop_sequences"));
        }
        else
        {
            Equal(expected, body["stop_sequences"]);
        }
    }

    [Fact]
    public void FunctionToolsBecomeInputSchemas()
    {
        var body = Request($$$"""
            {"messages":{{{Hi}}},"tools":[
              {"type":"function","function":{"name":"weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}},
              {"type":"function","function":{"name":"clock"}}]}
            """);

        Equal("""
            [{"name":"weather","description":"Weather of a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true},
             {"name":"clock","input_schema":{"type":"object","properties":{}}}]
            """, body["tools"]);
        Assert.Null(body["tool_choice"]);
        Assert.Null(Request($$$"""{"messages":{{{Hi}}},"tools":[{"type":"function","function":{"name":"f","strict":true}}]}""",
            Options with { StructuredOutputs = false })["tools"]![0]!["strict"]);
    }

    [Theory]
    [InlineData("\"tool_choice\":\"auto\"", """{"type":"auto"}""")]
    [InlineData("\"tool_choice\":\"none\"", """{"type":"none"}""")]
    [InlineData("\"tool_choice\":\"required\"", """{"type":"any"}""")]
    [InlineData("\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}", """{"type":"tool","name":"f"}""")]
    [InlineData("\"parallel_tool_calls\":false", """{"type":"auto","disable_parallel_tool_use":true}""")]
    [InlineData("\"tool_choice\":\"required\",\"parallel_tool_calls\":false", """{"type":"any","disable_parallel_tool_use":true}""")]
    [InlineData("\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}},\"parallel_tool_calls\":false", """{"type":"tool","name":"f","disable_parallel_tool_use":true}""")]
    [InlineData("\"tool_choice\":\"none\",\"parallel_tool_calls\":false", """{"type":"none"}""")]
    public void ToolChoiceAndParallelToolCallsBecomeAnthropicsToolChoice(string fields, string expected)
    {
        var body = Request("""{"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"f"}}],""" + fields + "}");

        Equal(expected, body["tool_choice"]);
    }

    [Theory]
    [InlineData("\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"f\"}}]", "tools[0]")]
    [InlineData("\"functions\":[{\"name\":\"f\"}]", "functions")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":{\"type\":\"allowed_tools\"}", "tool_choice")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":\"required\",\"reasoning_effort\":\"low\"", "tool_choice")]
    [InlineData("\"reasoning_effort\":\"extreme\"", "reasoning_effort")]
    [InlineData("\"response_format\":{\"type\":\"grammar\"}", "response_format.type")]
    [InlineData("\"max_tokens\":0", "max_tokens")]
    public void ParametersAnthropicCannotTakeAreRefusedNamingTheParameter(string fields, string param)
    {
        Assert.Equal(param, Refusal($$"""{"messages":{{Hi}},{{fields}}}""").Param);
    }

    [Fact]
    public void AStrictJsonSchemaBecomesStructuredOutput()
    {
        var body = Request("""
            {"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"answer","strict":true,
              "schema":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}}}}
            """);

        Equal("""{"format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}}}""", body["output_config"]);
        Assert.Null(body["system"]);
    }

    [Theory]
    [InlineData("""{"type":"json_object"}""", true, false)]
    [InlineData("""{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}""", true, true)]
    [InlineData("""{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object"}}}""", false, true)]
    public void JsonOutputAnthropicCannotEnforceIsAskedForInTheSystemPrompt(string format, bool structuredOutputs, bool withSchema)
    {
        var body = Request($$"""{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"response_format":{{format}}}""",
            Options with { StructuredOutputs = structuredOutputs });

        var system = body["system"]!.AsArray();
        Assert.Equal(2, system.Count);
        Assert.Equal("Be brief.", system[0]!["text"]!.GetValue<string>());
        var instruction = system[1]!["text"]!.GetValue<string>();
        Assert.StartsWith("Respond with a single valid JSON object", instruction, StringComparison.Ordinal);
        Assert.Equal(withSchema, instruction.EndsWith("{\"type\":\"object\"}", StringComparison.Ordinal));
        Assert.Null(body["output_config"]);
    }

    [Theory]
    [InlineData("minimal", 1000, 1024, 2024)]
    [InlineData("low", 1000, 2048, 3048)]
    [InlineData("medium", 1000, 8192, 9192)]
    [InlineData("high", 60000, 16384, 64000)]
    [InlineData("xhigh", 64000, 32768, 64000)]
    public void ReasoningEffortBecomesAThinkingBudgetWithMaxTokensRaisedAboveIt(string effort, int maxTokens, int budget, int raised)
    {
        var (body, translation) = Translate($$"""{"messages":{{Hi}},"max_tokens":{{maxTokens}},"reasoning_effort":"{{effort}}","temperature":0.5}""");

        Equal($$"""{"type":"enabled","budget_tokens":{{budget}}}""", body["thinking"]);
        Assert.Equal(raised, body["max_tokens"]!.GetValue<int>());
        Assert.Equal(raised, translation.MaxTokens);
        Assert.Null(body["temperature"]);
    }

    [Fact]
    public void AThinkingBudgetShrinksUnderASmallOutputCapAndIsRefusedWhenNoneFits()
    {
        var small = Options with { DefaultMaxTokens = 2000, MaxOutputTokens = 3000 };
        var body = Request($$"""{"messages":{{Hi}},"reasoning_effort":"medium"}""", small);

        Equal("""{"type":"enabled","budget_tokens":2999}""", body["thinking"]);
        Assert.Equal(3000, body["max_tokens"]!.GetValue<int>());
        Assert.Equal("reasoning_effort", Refusal($$"""{"messages":{{Hi}},"reasoning_effort":"low"}""", small with { MaxOutputTokens = 1024 }).Param);
    }

    [Fact]
    public void ReasoningEffortNoneAsksForNoThinkingAndAdaptiveModelsGetTheEffort()
    {
        Assert.Null(Request($$"""{"messages":{{Hi}},"reasoning_effort":"none"}""")["thinking"]);

        var body = Request($$"""{"messages":{{Hi}},"max_tokens":500,"reasoning_effort":"minimal"}""", Options with { ThinkingStyle = AnthropicThinkingStyle.Adaptive });

        Equal("""{"type":"adaptive"}""", body["thinking"]);
        Equal("""{"effort":"low"}""", body["output_config"]);
        Assert.Equal(500, body["max_tokens"]!.GetValue<int>());
    }

    [Fact]
    public void UserStreamAndTheModelAreWrittenAndFieldsWithoutAnEquivalentAreLeftOut()
    {
        var (body, translation) = Translate($$"""
            {"model":"claude-sonnet-4.5","messages":{{Hi}},"user":"user-42","stream":true,"stream_options":{"include_usage":true},
             "seed":7,"logprobs":false,"frequency_penalty":0.5,"presence_penalty":0.1,"logit_bias":{"50256":-100},"service_tier":"auto","store":false}
            """);

        Equal("""
            {"model":"claude-sonnet-4-5-20250929","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],
             "metadata":{"user_id":"user-42"},"stream":true}
            """, body);
        Assert.True(translation.Stream);
        Equal("""{"user_id":"hash-1"}""", Request($$"""{"messages":{{Hi}},"safety_identifier":"hash-1"}""")["metadata"]);
    }
}
