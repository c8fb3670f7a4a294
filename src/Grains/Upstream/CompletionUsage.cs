using System.Text;
using System.Text.Json;
using Gateway.Grains.Tokenization;

namespace Gateway.Grains.Upstream;

/// <summary>Reads the <c>usage</c> a provider reports in a chat completion.</summary>
internal static class CompletionUsage
{
    /// <summary>
    /// Input and output tokens of a non-streaming completion. When the provider reports no usage, the prompt
    /// estimate and the tokens of the returned text stand in, so a served request is never free.
    /// </summary>
    public static (long Input, long Output) Read(byte[] body, int promptEstimate)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (TryReadUsage(root, out var input, out var output))
        {
            return (input, output);
        }

        var text = new StringBuilder();
        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
                {
                    AppendGeneratedText(message, text);
                }
            }
        }

        return (promptEstimate, ChatTokenCounter.CountText(text.ToString()));
    }

    public static bool TryReadUsage(JsonElement root, out long input, out long output)
    {
        input = output = 0;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (usage.TryGetProperty("prompt_tokens", out var prompt) && prompt.TryGetInt64(out var p)) input = p;
        if (usage.TryGetProperty("completion_tokens", out var completion) && completion.TryGetInt64(out var c)) output = c;
        return true;
    }

    /// <summary>Appends what the model generated in a message or a stream delta: text and tool-call arguments.</summary>
    public static void AppendGeneratedText(JsonElement messageOrDelta, StringBuilder text)
    {
        if (messageOrDelta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
        {
            text.Append(content.GetString());
        }

        if (messageOrDelta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
                {
                    if (function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String) text.Append(name.GetString());
                    if (function.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.String) text.Append(args.GetString());
                }
            }
        }
    }
}
