using System.Text;
using System.Text.Json;
using Gateway.Grains.Upstream;

namespace Gateway.Tests.Upstream;

/// <summary>
/// The usage of an OpenAI-format provider read the way it is priced: <c>cached_tokens</c> are cache reads inside
/// <c>prompt_tokens</c> (LiteLLM #9812 priced them as input; Portkey #1564 added them on top), <c>reasoning_tokens</c> are
/// inside <c>completion_tokens</c>, plain and streamed alike.
/// </summary>
public sealed class CompletionUsageTests
{
    [Fact]
    public void CachedAndReasoningTokensAreReadAsPartsOfThePromptAndTheCompletion()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,
                      "prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},
                      "completion_tokens_details":{"reasoning_tokens":256,"audio_tokens":0}}}
            """);

        Assert.True(CompletionUsage.TryRead(body, promptEstimate: 1, out var usage));

        Assert.Equal(new CompletionUsage.Figures(2006, 300, Counted: false, CachedInput: 1920, Reasoning: 256), usage);
        Assert.Equal(2306, usage.Total);
    }

    [Fact]
    public void DeepSeeksCacheHitTokensAreCacheReads()
    {
        Assert.True(CompletionUsage.TryReadUsage(Root("""
            {"usage":{"prompt_tokens":100,"completion_tokens":5,"total_tokens":105,"prompt_cache_hit_tokens":64,"prompt_cache_miss_tokens":36}}
            """), out var usage));

        Assert.Equal(new CompletionUsage.Figures(100, 5, Counted: false, CachedInput: 64), usage);
    }

    [Theory]
    [InlineData("""{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":50},"completion_tokens_details":{"reasoning_tokens":9}}""", 10, 5)]
    [InlineData("""{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":-3},"completion_tokens_details":{"reasoning_tokens":1.5}}""", 0, 0)]
    [InlineData("""{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":null,"completion_tokens_details":"x"}""", 0, 0)]
    public void DetailsThatAreNonsenseAreClampedOrTakenAsAbsent(string usage, long cached, long reasoning)
    {
        Assert.True(CompletionUsage.TryReadUsage(Root($$"""{"usage":{{usage}}}"""), out var figures));

        Assert.Equal((10L, 5L, cached, reasoning), (figures.Input, figures.Output, figures.CachedInput, figures.Reasoning));
    }

    [Fact]
    public void AStreamsUsageChunkCarriesItsDetailsToTheCharge()
    {
        var meter = new StreamMeter(promptEstimate: 1);
        Assert.True(meter.TryObserve("""{"id":"c","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}"""u8.ToArray(), out _));
        Assert.True(meter.TryObserve("""
            {"id":"c","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":40,"total_tokens":1240,
             "prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":32}}}
            """u8.ToArray(), out var usageOnly));

        Assert.True(usageOnly);
        Assert.Equal(new CompletionUsage.Figures(1200, 40, Counted: false, CachedInput: 1024, Reasoning: 32), meter.Usage);
    }

    private static JsonElement Root(string json) => JsonDocument.Parse(json).RootElement;
}
