using System.Text;
using System.Text.Json.Nodes;
using Gateway.Grains.Caching;
using Gateway.Grains.Upstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Caching;

/// <summary>One stored completion answers both forms: a stream put back together, a completion told again as a stream, and the stored bytes read back.</summary>
public sealed class CompletionShapesTests
{
    private const string Completion = """
        {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4.1","choices":[{"index":0,"message":{"role":"assistant","content":"Hello world","refusal":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12},"system_fingerprint":"fp_1"}
        """;

    [Fact]
    public void AStreamPutBackTogetherIsTheCompletionAndItsReplayRebuildsTheSame()
    {
        var chunks = CompletionReplay.Chunks(Encoding.UTF8.GetBytes(Completion), includeUsage: true);
        var streamed = new StreamedCompletion();
        foreach (var chunk in chunks)
        {
            streamed.Observe(chunk);
        }

        var rebuilt = streamed.ToCompletion("\"gpt-4.1\""u8.ToArray());

        Assert.NotNull(rebuilt);
        Expect.JsonEqual(JsonNode.Parse(Completion), JsonNode.Parse(rebuilt), "The rebuilt completion");
        Assert.True(CachePolicy.IsStorable(rebuilt));
    }

    [Fact]
    public void ContentStreamedInPiecesIsJoined()
    {
        var streamed = new StreamedCompletion();
        streamed.Observe("""{"id":"c","created":1,"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"""u8);
        streamed.Observe("""{"id":"c","created":1,"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}"""u8);
        streamed.Observe("""{"id":"c","created":1,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"""u8);
        streamed.Observe("""{"id":"c","created":1,"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"""u8);

        var completion = JsonNode.Parse(streamed.ToCompletion("\"m\""u8.ToArray()))!;

        Assert.Equal("Hello", completion["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.Equal(2, completion["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("length")]
    [InlineData("content_filter")]
    public void AStreamCutShortOrFilteredIsNotStorable(string finish)
    {
        var streamed = new StreamedCompletion();
        streamed.Observe(Encoding.UTF8.GetBytes($$"""{"id":"c","created":1,"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"{{finish}}"}]}"""));
        streamed.Observe("""{"id":"c","created":1,"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"""u8);

        Assert.Null(streamed.ToCompletion("\"m\""u8.ToArray()));
        Assert.False(CachePolicy.IsStorable(Encoding.UTF8.GetBytes(Completion.Replace("\"tool_calls\"}", $"\"{finish}\"}}", StringComparison.Ordinal))));
    }

    [Fact]
    public void AStreamWithoutItsUsageIsNotStorable()
    {
        var streamed = new StreamedCompletion();
        streamed.Observe("""{"id":"c","created":1,"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"""u8);

        Assert.Null(streamed.ToCompletion("\"m\""u8.ToArray()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnEntryReadsBackAsItWasStoredAndGarbageReadsAsNothing(bool native)
    {
        var usage = new CompletionUsage.Figures(9, 3, Counted: false, CachedInput: 4, CacheWrite: 3, CacheWrite1h: 2, Reasoning: 1);
        var entry = new CachedCompletion("gpt-4.1", "openai", usage, Encoding.UTF8.GetBytes(Completion), DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000), native);

        var read = CachedCompletion.Decode(entry.Encode());

        Assert.NotNull(read);
        Assert.Equal((entry.ModelId, entry.Provider, usage, entry.ExpiresAt, native), (read.ModelId, read.Provider, read.Usage, read.ExpiresAt, read.Native));
        Assert.Equal(entry.Body, read.Body);
        Assert.Null(CachedCompletion.Decode("not an entry at all, just some bytes"u8));
        Assert.Null(CachedCompletion.Decode(entry.Encode()[..30]));
    }
}
