using System.Buffers;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// What the mock answers one Messages request with, decided once for the plain and the streamed form: a thinking block
/// when thinking is asked for (<see cref="ThinkingTokens"/> tokens of the mock's text), the text, then
/// <see cref="MockDirectives.ToolCalls"/> <c>tool_use</c> blocks calling the request's tools in turn, each with input
/// made from its schema (<see cref="ToolInput"/>); and the usage: counted input plus the cache directives' reads and writes
/// (<see cref="CacheWriteTokens"/> all of them, <see cref="CacheWrite1hTokens"/> those kept an hour), output the sum of
/// every block's tokens.
/// </summary>
internal sealed record MessagesAnswer(
    string Id,
    string Model,
    int InputTokens,
    int CacheReadTokens,
    int CacheWriteTokens,
    int CacheWrite1hTokens,
    int ThinkingTokens,
    int TextTokens,
    IReadOnlyList<MessagesAnswer.ToolCall> Tools,
    bool Capped)
{
    /// <summary>Tokens of the thinking block when thinking is asked for.</summary>
    public const int DefaultThinkingTokens = 4;

    /// <summary>The signature of every thinking block.</summary>
    public const string Signature = "bW9jay1zaWduYXR1cmU=";

    public int OutputTokens => ThinkingTokens + TextTokens + Tools.Sum(t => t.Tokens);

    /// <summary>All input, as OpenAI counts prompt tokens: uncached, read from the cache and written to it.</summary>
    public int PromptTokens => InputTokens + CacheReadTokens + CacheWriteTokens;

    public string StopReason => Tools.Count > 0 ? "tool_use" : Capped ? "max_tokens" : "end_turn";

    public static MessagesAnswer For(MessagesRequest request, int defaultCompletionTokens)
    {
        var directives = request.Mock;
        var tools = new List<ToolCall>();
        var offered = request.ToolList();
        for (var i = 0; offered.Count > 0 && i < (directives.ToolCalls ?? 0); i++)
        {
            var tool = offered[i % offered.Count];
            var name = tool.GetProperty("name"u8).GetString()!;
            var input = ToolInput(tool, i);
            tools.Add(new ToolCall($"toolu_mock{i:D2}_{Guid.NewGuid():N}", name, input, MockTokenCount.CountText(name) + MockTokenCount.CountText(input)));
        }

        return new MessagesAnswer(
            "msg_mock_" + Guid.NewGuid().ToString("N"),
            request.Model,
            MockTokenCount.CountMessagesInputTokens(request.System, request.Messages),
            directives.CacheReadTokens ?? 0,
            (directives.CacheWriteTokens ?? 0) + (directives.CacheWrite1hTokens ?? 0),
            directives.CacheWrite1hTokens ?? 0,
            request.Thinking ? DefaultThinkingTokens : 0,
            MockUsage.CompletionTokens(request.MaxTokens, directives.CompletionTokens, defaultCompletionTokens),
            tools,
            MockUsage.IsCappedByMaxTokens(request.MaxTokens, directives.CompletionTokens));
    }

    /// <summary>
    /// The input of the <paramref name="call"/>-th tool call: each property of the tool's <c>input_schema</c> with a value of
    /// its type (numbers <c>call + 1</c>, booleans true, strings <c>Zürich "call"</c>, quotes and a non-ASCII letter
    /// included so that a split stream has escapes to cut through); <c>{}</c> for a tool without properties.
    /// </summary>
    public static string ToolInput(JsonElement tool, int call) =>
        ToolArguments(tool.TryGetProperty("input_schema"u8, out var schema) ? schema : default, call);

    /// <summary>Arguments for the <paramref name="call"/>-th call of a tool whose parameters are <paramref name="schema"/> (see <see cref="ToolInput"/>).</summary>
    public static string ToolArguments(JsonElement schema, int call)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, MockJson.WriterOptions))
        {
            json.WriteStartObject();
            if (schema.ValueKind == JsonValueKind.Object
                && schema.TryGetProperty("properties"u8, out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in properties.EnumerateObject())
                {
                    var type = property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String
                        ? t.GetString()
                        : null;
                    switch (type)
                    {
                        case "integer" or "number":
                            json.WriteNumber(property.Name, call + 1);
                            break;
                        case "boolean":
                            json.WriteBoolean(property.Name, true);
                            break;
                        default:
                            json.WriteString(property.Name, $"Zürich \"{call}\"");
                            break;
                    }
                }
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>One <c>tool_use</c> block: its id, the tool's name, the input as JSON text and the tokens it costs.</summary>
    internal sealed record ToolCall(string Id, string Name, string Input, int Tokens);
}
