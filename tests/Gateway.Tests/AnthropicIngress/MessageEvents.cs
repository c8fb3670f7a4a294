using System.Text.Json.Nodes;

namespace Gateway.Tests.AnthropicIngress;

/// <summary>Reads a Messages stream as the gateway wrote it: each event a name line and a data line.</summary>
public static class MessageEvents
{
    /// <summary>The events of <paramref name="sse"/>, in order, each with its name and its data.</summary>
    public static List<(string Name, JsonObject Data)> Read(string sse) =>
        [.. sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(block =>
        {
            var lines = block.Split('\n');
            Assert.True(lines.Length == 2 && lines[0].StartsWith("event: ", StringComparison.Ordinal) && lines[1].StartsWith("data: ", StringComparison.Ordinal),
                $"An event is a name and its data: {block}");
            return (lines[0][7..], JsonNode.Parse(lines[1][6..])!.AsObject());
        })];

    /// <summary>How often <paramref name="what"/> occurs in <paramref name="text"/>.</summary>
    public static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
