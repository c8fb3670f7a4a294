using System.Text;
using System.Text.Json.Nodes;
using Gateway.Grains.Providers.Anthropic;
using static Gateway.Tests.Providers.Anthropic.AnthropicJson;

namespace Gateway.Tests.Providers.Anthropic;

/// <summary>Anthropic Messages responses as OpenAI chat completions: content, tool calls, thinking, finish reasons, usage.</summary>
public sealed class AnthropicResponseTranslatorTests
{
    [Fact]
    public void TextBlocksAreJoinedIntoTheContentAndTheUsageCountsEveryInputToken()
    {
        var completion = Completion("""
            {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","stop_reason":"end_turn","stop_sequence":null,
             "content":[{"type":"text","text":"Hello \"wörld\"\n"},{"type":"text","text":"\u00e9 \ud83d\ude00"}],
             "usage":{"input_tokens":12,"cache_read_input_tokens":1000,"cache_creation_input_tokens":300,"output_tokens":7}}
            """, out var usage);

        Equal("""
            {"id":"msg_01","object":"chat.completion","created":1700000000,"model":"claude-sonnet-4.5",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello \"wörld\"\né 😀","refusal":null},"logprobs":null,"finish_reason":"stop"}],
             "usage":{"prompt_tokens":1312,"completion_tokens":7,"total_tokens":1319,"prompt_tokens_details":{"cached_tokens":1000},"completion_tokens_details":{"reasoning_tokens":0}}}
            """, completion);
        Assert.Equal(new AnthropicUsage(12, 1000, 300, 0, 7, 0), usage);
    }

    [Fact]
    public void ToolUseBlocksBecomeToolCallsWithTheirInputAsAnArgumentsString()
    {
        var completion = Completion("""
            {"id":"msg_02","type":"message","role":"assistant","model":"m","stop_reason":"tool_use",
             "content":[{"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Paris","units":["c"]}},
                        {"type":"tool_use","id":"toolu_2","name":"clock","input":{}}],
             "usage":{"input_tokens":3,"output_tokens":4}}
            """, out _);

        var message = completion["choices"]![0]!["message"]!;
        Assert.Null(message["content"]);
        Equal("""
            [{"id":"toolu_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\",\"units\":[\"c\"]}"}},
             {"id":"toolu_2","type":"function","function":{"name":"clock","arguments":"{}"}}]
            """, message["tool_calls"]);
        Assert.Equal("tool_calls", completion["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public void ThinkingIsCarriedBesideTheContentNeverInIt()
    {
        var completion = Completion("""
            {"id":"msg_03","type":"message","role":"assistant","model":"m","stop_reason":"end_turn",
             "content":[{"type":"thinking","thinking":"Step one. ","signature":"sig-a"},{"type":"redacted_thinking","data":"opaque"},
                        {"type":"thinking","thinking":"Step two.","signature":"sig-b"},{"type":"text","text":"42"}],
             "usage":{"input_tokens":3,"output_tokens":40,"output_tokens_details":{"thinking_tokens":30}}}
            """, out var usage);

        Equal("""
            {"role":"assistant","content":"42","refusal":null,"reasoning_content":"Step one. Step two.",
             "thinking_blocks":[{"type":"thinking","thinking":"Step one. ","signature":"sig-a"},{"type":"redacted_thinking","data":"opaque"},
                                {"type":"thinking","thinking":"Step two.","signature":"sig-b"}]}
            """, completion["choices"]![0]!["message"]);
        Assert.Equal(30, usage!.Value.ReasoningTokens);
        Assert.Equal(30, completion["usage"]!["completion_tokens_details"]!["reasoning_tokens"]!.GetValue<int>());
        Assert.Equal(40, completion["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("pause_turn", "stop")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("max_tokens", "length")]
    [InlineData("model_context_window_exceeded", "length")]
    [InlineData("refusal", "content_filter")]
    [InlineData("something_new", "stop")]
    public void StopReasonsBecomeFinishReasons(string stopReason, string finishReason)
    {
        var completion = Completion($$$"""
            {"id":"m","type":"message","role":"assistant","model":"m","stop_reason":"{{{stopReason}}}","content":[{"type":"text","text":"x"}],"usage":{"input_tokens":1,"output_tokens":1}}
            """, out _);

        Assert.Equal(finishReason, completion["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public void ARefusalIsAContentFilterWithItsExplanation()
    {
        var completion = Completion("""
            {"id":"m","type":"message","role":"assistant","model":"m","stop_reason":"refusal","content":[],
             "stop_details":{"type":"refusal","category":"cyber","explanation":"Not able to help with that."},"usage":{"input_tokens":1,"output_tokens":0}}
            """, out _);

        Equal("""{"role":"assistant","content":"","refusal":"Not able to help with that."}""", completion["choices"]![0]!["message"]);
        Assert.Equal("content_filter", completion["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public void CacheWritesAreSplitByTheirLifetime()
    {
        var completion = Completion("""
            {"id":"m","type":"message","role":"assistant","model":"m","stop_reason":"end_turn","content":[{"type":"text","text":"x"}],
             "usage":{"input_tokens":10,"cache_read_input_tokens":0,"cache_creation_input_tokens":500,
                      "cache_creation":{"ephemeral_5m_input_tokens":200,"ephemeral_1h_input_tokens":300},"output_tokens":2}}
            """, out var usage);

        Assert.Equal(new AnthropicUsage(10, 0, 500, 300, 2, 0), usage);
        Assert.Equal(200, usage!.Value.CacheWrite5mTokens);
        Assert.Equal(510, completion["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(0, completion["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());
    }

    [Fact]
    public void NegativeCacheWriteCountsAreTakenAsAbsent()
    {
        Completion("""
            {"id":"m","type":"message","role":"assistant","model":"m","stop_reason":"end_turn","content":[{"type":"text","text":"x"}],
             "usage":{"input_tokens":10,"cache_creation":{"ephemeral_5m_input_tokens":-200,"ephemeral_1h_input_tokens":300},"output_tokens":2}}
            """, out var usage);

        Assert.Equal(new AnthropicUsage(10, 0, 300, 300, 2, 0), usage);
    }

    [Fact]
    public void AResponseWithoutValidUsageHasNone()
    {
        var completion = Completion("""
            {"id":"m","type":"message","role":"assistant","model":"m","stop_reason":"end_turn","content":[{"type":"text","text":"x"}],"usage":{"input_tokens":-1,"output_tokens":2}}
            """, out var usage);

        Assert.Null(usage);
        Assert.False(completion.ContainsKey("usage"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""")]
    [InlineData("""{"type":"message","id":"m"}""")]
    public void WhatIsNotAMessageIsABadResponse(string body)
    {
        Assert.False(AnthropicResponseTranslator.TryTranslate(Encoding.UTF8.GetBytes(body), null, 1, out var completion, out var usage));
        Assert.Null(completion);
        Assert.Null(usage);
    }

    [Fact]
    public void WithoutAClientModelNameAnthropicsOwnIsReported()
    {
        Assert.True(AnthropicResponseTranslator.TryTranslate(
            """{"id":"m","type":"message","role":"assistant","model":"claude-x","stop_reason":"end_turn","content":[],"usage":{"input_tokens":1,"output_tokens":1}}"""u8.ToArray(),
            null, 5, out var completion, out _));

        Assert.Equal("claude-x", JsonNode.Parse(completion)!["model"]!.GetValue<string>());
    }
}
