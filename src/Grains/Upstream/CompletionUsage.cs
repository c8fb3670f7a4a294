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
    /// <see cref="CacheWrite"/> (input written to the provider's prompt cache, <see cref="CacheWrite1h"/> of it to be kept
    /// an hour), which are priced apart. <see cref="Output"/> is <c>completion_tokens</c>: it includes
    /// <see cref="Reasoning"/>, priced as output.
    /// </summary>
    public readonly record struct Figures(long Input, long Output, bool Counted, long CachedInput = 0, long CacheWrite = 0, long CacheWrite1h = 0, long Reasoning = 0)
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
            if (TryReadUsage(root, out figures))
            {
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

    /// <summary>
    /// The <c>usage</c> of a completion or chunk of an OpenAI-format provider; false when it has none or it is nonsense
    /// (negative or non-integer counts), and the gateway counts instead. <c>prompt_tokens_details.cached_tokens</c> (DeepSeek:
    /// <c>prompt_cache_hit_tokens</c>) are cache reads inside <c>prompt_tokens</c> (the bug of LiteLLM #9812: priced as input);
    /// <c>completion_tokens_details.reasoning_tokens</c> are inside <c>completion_tokens</c>, never added to it. A detail
    /// larger than the total it is part of is clamped to it.
    /// </summary>
    public static bool TryReadUsage(JsonElement root, out Figures figures)
    {
        figures = default;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object
            || !TokenCounts.TryRead(usage, "prompt_tokens", out var input)
            || !TokenCounts.TryRead(usage, "completion_tokens", out var output))
        {
            return false;
        }

        if (!(usage.TryGetProperty("prompt_tokens_details", out var prompt) && TokenCounts.TryRead(prompt, "cached_tokens", out var cached)))
        {
            TokenCounts.TryRead(usage, "prompt_cache_hit_tokens", out cached);
        }

        long reasoning = 0;
        if (usage.TryGetProperty("completion_tokens_details", out var completion))
        {
            TokenCounts.TryRead(completion, "reasoning_tokens", out reasoning);
        }

        figures = new Figures(input, output, Counted: false, CachedInput: Math.Min(cached, input), Reasoning: Math.Min(reasoning, output));
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
