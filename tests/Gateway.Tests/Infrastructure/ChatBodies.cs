using System.Text.Json;
using Gateway.MockProvider;

namespace Gateway.Tests.Infrastructure;

/// <summary>Chat request bodies and the usage the mock provider will report for them.</summary>
public static class ChatBodies
{
    public static object[] Messages(string text = "Hello there") => [new { role = "user", content = text }];

    /// <summary>Prompt tokens the mock reports for <see cref="Messages"/>.</summary>
    public static int PromptTokens(string text = "Hello there") =>
        MockTokenCount.CountPromptTokens(JsonSerializer.SerializeToElement(Messages(text)));

    /// <summary>The exact cost of a usage at gpt-4.1's prices ($2 in, $8 out per million tokens).</summary>
    public static decimal Gpt41CostUsd(long input, long output) => (input * 2.00m + output * 8.00m) / 1_000_000m;
}
