using System.Text;
using Gateway.Grains.Providers.Gemini;
using static Gateway.Tests.Providers.Gemini.GeminiJson;

namespace Gateway.Tests.Providers.Gemini;

/// <summary>Gemini responses as OpenAI completions: text, thoughts, function calls, finish reasons, blocked prompts, usage.</summary>
public sealed class GeminiResponseTranslatorTests
{
    [Fact]
    public void TextPartsAreJoinedAndTheUsageCountsAsOpenAiDoes()
    {
        var completion = Completion("""
            {"candidates":[{"content":{"parts":[{"text":"Hello "},{"text":"\"world\" ✓"}],"role":"model"},"finishReason":"STOP","index":0}],
             "usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":4,"totalTokenCount":16},"modelVersion":"gemini-2.5-flash-001","responseId":"r-1"}
            """, out var usage);

        Equal("""
            {"id":"r-1","object":"chat.completion","created":1700000000,"model":"gemini-2.5-flash",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello \"world\" ✓","refusal":null},"logprobs":null,"finish_reason":"stop"}],
             "usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}
            """, completion);
        Assert.Equal(new GeminiUsage(12, 0, 4, 0, 0), usage);
    }

    [Fact]
    public void ThoughtsAreReasoningContentAndCountInCompletionTokens()
    {
        // Portkey PR #1458: thoughtsTokenCount was left out of completion_tokens, so thinking was never charged.
        var completion = Completion("""
            {"candidates":[{"content":{"parts":[{"text":"Let me think.","thought":true},{"text":"42"}],"role":"model"},"finishReason":"STOP"}],
             "usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":60,"candidatesTokenCount":2,"thoughtsTokenCount":300,"totalTokenCount":402}}
            """, out var usage);

        Equal("""{"role":"assistant","content":"42","refusal":null,"reasoning_content":"Let me think."}""", completion["choices"]![0]!["message"]);
        Equal("""{"prompt_tokens":100,"completion_tokens":302,"total_tokens":402,"prompt_tokens_details":{"cached_tokens":60},"completion_tokens_details":{"reasoning_tokens":300}}""",
            completion["usage"]);
        Assert.Equal(40, usage!.Value.UncachedInputTokens);
    }

    [Fact]
    public void StopWithFunctionCallsIsToolCallsAndEachCallGetsAnIdAndJsonArguments()
    {
        // LiteLLM #21041: Gemini says STOP after a function call; passed on as "stop", clients never ran the tools.
        var completion = Completion("""
            {"candidates":[{"content":{"parts":[
               {"text":"Checking."},
               {"functionCall":{"name":"weather","args":{"city":"Paris","days":[1,2]}},"thoughtSignature":"c2ln"},
               {"functionCall":{"name":"now"}},
               {"functionCall":{"id":"fc-9","name":"clock","args":{}}}],"role":"model"},"finishReason":"STOP"}],
             "responseId":"r-2"}
            """, out var usage);

        Equal("""
            {"index":0,"message":{"role":"assistant","content":"Checking.","refusal":null,"tool_calls":[
              {"id":"call_r-2_0_0","type":"function","extra_content":{"google":{"thought_signature":"c2ln"}},"function":{"name":"weather","arguments":"{\"city\":\"Paris\",\"days\":[1,2]}"}},
              {"id":"call_r-2_0_1","type":"function","function":{"name":"now","arguments":"{}"}},
              {"id":"fc-9","type":"function","function":{"name":"clock","arguments":"{}"}}]},
             "logprobs":null,"finish_reason":"tool_calls"}
            """, completion["choices"]![0]);
        Assert.Null(usage);
    }

    [Fact]
    public void AnswerWithOnlyFunctionCallsHasNullContent()
    {
        var completion = Completion("""{"candidates":[{"content":{"parts":[{"functionCall":{"name":"now"}}],"role":"model"},"finishReason":"STOP"}]}""", out _);

        Assert.Null(completion["choices"]![0]!["message"]!["content"]);
    }

    [Theory]
    [InlineData("STOP", "stop")]
    [InlineData("MAX_TOKENS", "length")]
    [InlineData("SAFETY", "content_filter")]
    [InlineData("RECITATION", "content_filter")]
    [InlineData("BLOCKLIST", "content_filter")]
    [InlineData("PROHIBITED_CONTENT", "content_filter")]
    [InlineData("SPII", "content_filter")]
    [InlineData("IMAGE_SAFETY", "content_filter")]
    [InlineData("MALFORMED_FUNCTION_CALL", "stop")]
    [InlineData("OTHER", "stop")]
    [InlineData("SOMETHING_NEW", "stop")]
    public void FinishReasonsMapToOpenAis(string gemini, string openAi)
    {
        var completion = Completion($$"""{"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},"finishReason":"{{gemini}}"}]}""", out _);

        Assert.Equal(openAi, completion["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Equal("length", GeminiFinishReasons.ToFinishReason("MAX_TOKENS", calledFunctions: true));
    }

    [Fact]
    public void ACandidateStoppedForSafetyWithoutContentIsAContentFilterAnswer()
    {
        var completion = Completion("""{"candidates":[{"finishReason":"SAFETY","index":0,"safetyRatings":[]}],"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5}}""", out _);

        Equal("""{"index":0,"message":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":"content_filter"}""", completion["choices"]![0]);
    }

    [Fact]
    public void APromptBlockedForSafetyIsAContentFilterAnswerNeverAnEmptySuccess()
    {
        // LiteLLM PR #40864: a blocked prompt (no candidates) came back as an empty "stop" answer.
        var completion = Completion("""
            {"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH"}]},
             "usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"gemini-2.5-flash","responseId":"r-3"}
            """, out var usage);

        Equal("""
            [{"index":0,"message":{"role":"assistant","content":null,"refusal":"The prompt was blocked by the provider's content filter (SAFETY)."},"logprobs":null,"finish_reason":"content_filter"}]
            """, completion["choices"]);
        Assert.Equal(new GeminiUsage(8, 0, 0, 0, 0), usage);
    }

    [Fact]
    public void SeveralCandidatesAreSeveralChoices()
    {
        var completion = Completion("""
            {"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP","index":0},
                           {"content":{"parts":[{"functionCall":{"name":"f"}}]},"finishReason":"STOP","index":1}],"responseId":"r"}
            """, out _);

        Equal("""
            [{"index":0,"message":{"role":"assistant","content":"a","refusal":null},"logprobs":null,"finish_reason":"stop"},
             {"index":1,"message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"call_r_1_0","type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}]
            """, completion["choices"]);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"candidates":[]}""")]
    [InlineData("""{"usageMetadata":{"promptTokenCount":1}}""")]
    public void BodiesWithNeitherCandidatesNorABlockedPromptAreNotResponses(string body)
    {
        Assert.False(GeminiResponseTranslator.TryTranslate(Encoding.UTF8.GetBytes(body), "m", 1, out _, out _));
    }

    [Fact]
    public void UsageIncludesToolUsePromptsAsInputAndIgnoresInvalidCounts()
    {
        Completion("""
            {"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}],
             "usageMetadata":{"promptTokenCount":10,"toolUsePromptTokenCount":5,"candidatesTokenCount":-3,"thoughtsTokenCount":1.5}}
            """, out var usage);

        Assert.Equal(new GeminiUsage(10, 0, 0, 0, 5), usage);
        Assert.Equal(15, usage!.Value.InputTokens);
        Assert.True(GeminiResponseTranslator.TryTranslate(Encoding.UTF8.GetBytes("""{"candidates":[{"finishReason":"STOP"}],"usageMetadata":{"candidatesTokenCount":3}}"""), "m", 1, out _, out var none));
        Assert.Null(none);
    }
}
