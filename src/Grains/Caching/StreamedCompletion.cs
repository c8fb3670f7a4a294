using System.Text;
using System.Text.Json;
using Gateway.Catalog.Buffers;

namespace Gateway.Grains.Caching;

/// <summary>
/// Puts a streamed completion back together from its chunks, as the non-streamed answer would have been, so that one
/// stored entry answers both forms. Anything it cannot rebuild faithfully (logprobs, a choice cut short, an unexpected
/// shape) makes it not storable.
/// </summary>
public sealed class StreamedCompletion
{
    private readonly SortedDictionary<int, Choice> _choices = [];
    private string? _id;
    private long _created;
    private string? _fingerprint;
    private byte[]? _usage;
    private bool _broken;

    /// <summary>Takes one chunk's JSON (as the provider sent it).</summary>
    public void Observe(ReadOnlySpan<byte> data)
    {
        if (_broken)
        {
            return;
        }

        try
        {
            var reader = new Utf8JsonReader(data);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            _id ??= root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            if (_created == 0 && root.TryGetProperty("created", out var created) && created.TryGetInt64(out var at))
            {
                _created = at;
            }

            if (_fingerprint is null && root.TryGetProperty("system_fingerprint", out var fingerprint) && fingerprint.ValueKind == JsonValueKind.String)
            {
                _fingerprint = fingerprint.GetString();
            }

            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                _usage = Encoding.UTF8.GetBytes(usage.GetRawText());
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    ObserveChoice(choice);
                }
            }
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or FormatException)
        {
            _broken = true;
        }
    }

    /// <summary>The non-streamed completion, <c>model</c> set to <paramref name="modelJson"/>; null when it may not be stored.</summary>
    public byte[]? ToCompletion(byte[] modelJson)
    {
        if (_broken || _usage is null || _choices.Count == 0 || _choices.Values.Any(c => !CachePolicy.IsStorableFinish(c.FinishReason)))
        {
            return null;
        }

        using var buffer = new PooledBufferWriter(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", _id ?? "chatcmpl-cached");
            writer.WriteString("object", "chat.completion");
            writer.WriteNumber("created", _created);
            writer.WritePropertyName("model");
            writer.WriteRawValue(modelJson, skipInputValidation: true);
            writer.WriteStartArray("choices");
            foreach (var (index, choice) in _choices)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index", index);
                writer.WriteStartObject("message");
                writer.WriteString("role", choice.Role ?? "assistant");
                WriteText(writer, "content", choice.Content);
                WriteText(writer, "refusal", choice.Refusal);
                if (choice.ToolCalls.Count > 0)
                {
                    writer.WriteStartArray("tool_calls");
                    foreach (var call in choice.ToolCalls.Values)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("id", call.Id);
                        writer.WriteString("type", call.Type ?? "function");
                        writer.WriteStartObject("function");
                        writer.WriteString("name", call.Name.ToString());
                        writer.WriteString("arguments", call.Arguments.ToString());
                        writer.WriteEndObject();
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
                writer.WriteNull("logprobs");
                writer.WriteString("finish_reason", choice.FinishReason);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WritePropertyName("usage");
            writer.WriteRawValue(_usage, skipInputValidation: true);
            if (_fingerprint is not null)
            {
                writer.WriteString("system_fingerprint", _fingerprint);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteText(Utf8JsonWriter writer, string name, StringBuilder? text)
    {
        if (text is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, text.ToString());
        }
    }

    private void ObserveChoice(JsonElement element)
    {
        if (!element.TryGetProperty("index", out var indexElement) || !indexElement.TryGetInt32(out var index) || index is < 0 or > 1024)
        {
            _broken = true;
            return;
        }

        if (!_choices.TryGetValue(index, out var choice))
        {
            _choices[index] = choice = new Choice();
        }

        if (element.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind != JsonValueKind.Null)
        {
            _broken = true;
            return;
        }

        if (element.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
        {
            choice.FinishReason = finish.GetString();
        }

        if (!element.TryGetProperty("delta", out var delta) || delta.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (delta.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String)
        {
            choice.Role = role.GetString();
        }

        if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
        {
            (choice.Content ??= new StringBuilder()).Append(content.GetString());
        }

        if (delta.TryGetProperty("refusal", out var refusal) && refusal.ValueKind == JsonValueKind.String)
        {
            (choice.Refusal ??= new StringBuilder()).Append(refusal.GetString());
        }

        if (delta.TryGetProperty("function_call", out var functionCall) && functionCall.ValueKind != JsonValueKind.Null)
        {
            // The legacy single function call has no streamed shape worth rebuilding: not stored.
            _broken = true;
            return;
        }

        if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (!call.TryGetProperty("index", out var callIndexElement) || !callIndexElement.TryGetInt32(out var callIndex))
                {
                    _broken = true;
                    return;
                }

                if (!choice.ToolCalls.TryGetValue(callIndex, out var toolCall))
                {
                    choice.ToolCalls[callIndex] = toolCall = new ToolCall();
                }

                if (call.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                {
                    toolCall.Id = id.GetString();
                }

                if (call.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String)
                {
                    toolCall.Type = type.GetString();
                }

                if (call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
                {
                    if (function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                    {
                        toolCall.Name.Append(name.GetString());
                    }

                    if (function.TryGetProperty("arguments", out var arguments) && arguments.ValueKind == JsonValueKind.String)
                    {
                        toolCall.Arguments.Append(arguments.GetString());
                    }
                }
            }
        }
    }

    private sealed class Choice
    {
        public string? Role { get; set; }
        public StringBuilder? Content { get; set; }
        public StringBuilder? Refusal { get; set; }
        public string? FinishReason { get; set; }
        public SortedDictionary<int, ToolCall> ToolCalls { get; } = [];
    }

    private sealed class ToolCall
    {
        public string? Id { get; set; }
        public string? Type { get; set; }
        public StringBuilder Name { get; } = new();
        public StringBuilder Arguments { get; } = new();
    }
}
