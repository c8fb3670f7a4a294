using System.Text;
using System.Text.Json;
using Gateway.Catalog.Tokenization;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Upstream;

/// <summary>Reads the <c>usage</c> a provider reports in a chat completion.</summary>
public static class CompletionUsage
{
    /// <summary>
    /// What a request used; <see cref="Counted"/> when the provider reported no usage and the gateway counted it.
    /// <see cref="Input"/> is OpenAI's <c>prompt_tokens</c>: it includes <see cref="CachedInput"/> (cache reads) and
    /// <see cref="CacheWrite"/> (input written to the provider's prompt cache), which are priced apart.
    /// </summary>
    public readonly record struct Figures(long Input, long Output, bool Counted, long CachedInput = 0, long CacheWrite = 0)
    {
        public long Total => Input + Output;
    }

    /// <summary>
    /// Input and output tokens of a non-streaming completion; false when the body is not a JSON object (a bad response).
    /// When the provider reports no usage, the prompt estimate and the tokens of the returned text stand in, so a served
    /// request is never free.
    /// </summary>
    public static bool TryRead(byte[] body, int promptEstimate, out Figures figures)
    {
        figures = default;
        if (!JsonObjectBody.TryParse(body, out var document))
        {
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (TryReadUsage(root, out var input, out var output))
            {
                figures = new Figures(input, output, Counted: false);
                return true;
            }

            var text = new StringBuilder();
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
                    {
                        AppendGeneratedText(message, text);
                    }
                }
            }

            figures = new Figures(promptEstimate, ChatTokenCounter.CountText(text.ToString()), Counted: true);
            return true;
        }
    }

    public static bool TryReadUsage(JsonElement root, out long input, out long output)
    {
        input = output = 0;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        // A provider's nonsense (negative or non-integer counts) is not a report: the gateway counts instead.
        if (!usage.TryGetProperty("prompt_tokens", out var prompt) || prompt.ValueKind != JsonValueKind.Number || !prompt.TryGetInt64(out input) || input < 0
            || !usage.TryGetProperty("completion_tokens", out var completion) || completion.ValueKind != JsonValueKind.Number || !completion.TryGetInt64(out output) || output < 0)
        {
            input = output = 0;
            return false;
        }

        return true;
    }

    /// <summary>Appends what the model generated in a message or a stream delta: text and tool-call arguments.</summary>
    public static void AppendGeneratedText(JsonElement messageOrDelta, StringBuilder text)
    {
        if (messageOrDelta.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (messageOrDelta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
        {
            text.Append(content.GetString());
        }

        if (messageOrDelta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
                {
                    if (function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String) text.Append(name.GetString());
                    if (function.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.String) text.Append(args.GetString());
                }
            }
        }
    }
}
