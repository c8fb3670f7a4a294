using System.Diagnostics;
using System.Text.Json;
using Gateway.Catalog.Tokenization;
using CsCheck;
using Gateway.MockProvider;
using Microsoft.ML.Tokenizers;

namespace Gateway.Tests.Tokenization;

/// <summary>
/// The bounded o200k count: exact on ordinary text, never below the tokenizer's own count, linear on one long run
/// (the tokenizer's own count is quadratic there), stoppable at a cap and by cancellation, and the same in the mock.
/// </summary>
public sealed class BoundedTokenCountTests
{
    private static readonly Tokenizer O200k = MockTokenCount.Tokenizer;

    // Words, numbers, punctuation, whitespace and non-Latin text, glued at random: pieces are short, so the count is exact.
    private static readonly Gen<string> OrdinaryText =
        Gen.OneOf(
                Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"], 1, 12],
                Gen.String[Gen.Char["0123456789"], 1, 6],
                Gen.OneOf(" ", "  ", "\n", "\r\n", "\t", ", ", ". ", "!?", "'s", " don't", "{\"a\":1}", "é", "日本語", "🙂", "Привет"))
            .Array[0, 3000]
            .Select(string.Concat);

    [Fact]
    public void OrdinaryTextIsCountedExactly() =>
        OrdinaryText.Sample(text => ChatTokenCounter.CountText(text) == O200k.CountTokens(text), iter: 200);

    [Fact]
    public void TextWithLongRunsIsNeverCountedBelowTheTokenizer() =>
        Gen.Select(OrdinaryText, Gen.Char["a!  9"], Gen.Int[129, 2000], OrdinaryText)
            .Select((before, c, n, after) => before + new string(c, n) + after)
            .Sample(text => ChatTokenCounter.CountText(text) >= O200k.CountTokens(text), iter: 40);

    [Fact]
    public void TwoSpacesEndingALongTextsStretchAreStillTwoTokens()
    {
        // The text is encoded in stretches of about 16 KiB cut between pieces; "  556" is " ", " ", "556", and a stretch
        // cut before "556" ended with "  ", which the tokenizer alone reads as one token (found by the property below).
        foreach (var words in Enumerable.Range(5455, 8))
        {
            var text = string.Concat(Enumerable.Repeat(" ab", words)) + "  556 and more";

            Assert.Equal(O200k.CountTokens(text), ChatTokenCounter.CountText(text));
        }
    }

    [Fact]
    public void AMebibyteOfOneLetterIsCountedAtOnceAsItsLength()
    {
        var text = new string('a', 1024 * 1024);
        var clock = Stopwatch.StartNew();

        var tokens = ChatTokenCounter.CountText(text);

        // The tokenizer itself takes minutes on this (quadratic); linear work takes milliseconds. The bound is loose for a busy box.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Counting took {clock.Elapsed}.");
        Assert.Equal(1024 * 1024, tokens);
    }

    [Fact]
    public void TheMockCountsAsTheGatewayDoesAndAsFast()
    {
        var messages = JsonSerializer.SerializeToElement(new object[]
        {
            new { role = "user", content = new string('z', 512 * 1024) + " and then some words" },
            new { role = "assistant", content = new object[] { new { type = "text", text = new string(' ', 300_000) + "x" } } },
        });
        var clock = Stopwatch.StartNew();

        var mock = MockTokenCount.CountPromptTokens(messages);
        var gateway = ChatTokenCounter.CountMessages(messages);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Counting took {clock.Elapsed}.");
        Assert.Equal(gateway, mock);
    }

    [Fact]
    public void CountingStopsOverTheCap()
    {
        var text = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 50_000));

        var capped = ChatTokenCounter.CountText(text, cap: 1_000, CancellationToken.None);

        Assert.True(capped > 1_000 && capped < 100_000, $"A count stopped at 1,000 should end soon after it, got {capped}.");
    }

    [Fact]
    public void CountingAPromptStopsWhenCancelled()
    {
        var text = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 50_000));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => ChatTokenCounter.CountText(text, long.MaxValue, cancelled.Token));
    }

    [Fact]
    public void AContentPartWhoseTypeIsNotAStringCountsNothingInsteadOfThrowing()
    {
        var messages = JsonSerializer.SerializeToElement(new object[] { new { role = "user", content = new object[] { new { type = 5, text = "hi" } } } });

        Assert.Equal(ChatTokenCounter.CountMessages(JsonSerializer.SerializeToElement(new object[] { new { role = "user", content = Array.Empty<object>() } })),
            ChatTokenCounter.CountMessages(messages));
    }

    [Fact]
    public void TheUpperBoundIsNeverBelowTheCount() =>
        OrdinaryText.Array[1, 5].Sample(texts =>
        {
            var messages = JsonSerializer.SerializeToElement(texts.Select(t => new { role = "user", content = t, name = "n" }));
            return ChatTokenCounter.UpperBound(messages) >= ChatTokenCounter.CountMessages(messages);
        }, iter: 100);
}
