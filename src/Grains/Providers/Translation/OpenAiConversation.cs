using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// The walk over OpenAI chat messages that Anthropic's and Gemini's conversations share: system and developer messages,
/// wherever they are, go to <see cref="System"/>; each other message's items are collected (a tool result's leading the
/// rest), and a message left with nothing is dropped; consecutive turns of the same role are merged. The roles, the
/// assistant's legacy <c>function_call</c> and the shape of its <c>tool_calls</c> are checked here; what a provider takes
/// as content, and how it writes a tool call or result, is the subclass's.
/// </summary>
/// <typeparam name="TItem">One of the provider's content items (a block, a part).</typeparam>
/// <typeparam name="TTurn">One of the provider's turns, holding its leading items then the rest.</typeparam>
internal abstract class OpenAiConversation<TItem, TTurn>
    where TTurn : class
{
    public List<TItem> System { get; } = [];

    public List<TTurn> Turns { get; } = [];

    /// <summary>What goes first in the message's turn (tool results, replayed thinking).</summary>
    protected List<TItem> Leading { get; } = [];

    /// <summary>The rest of the message being read.</summary>
    protected List<TItem> Items { get; } = [];

    /// <summary>The provider's role for an assistant message (Gemini's is <c>model</c>).</summary>
    protected virtual string AssistantRole => "assistant";

    /// <summary>Reads <paramref name="messages"/>; the refusal of the first message the provider cannot take, if any.</summary>
    protected TranslationRefusal? Read(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            return new TranslationRefusal("'messages' is required and must be an array.", "messages", "invalid_value");
        }

        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (Add(message, index++) is { } refusal)
            {
                return refusal;
            }
        }

        return Turns.Count > 0 ? null
            : new TranslationRefusal("'messages' must hold at least one user, assistant or tool message with content.", "messages", "invalid_value");
    }

    /// <summary>Adds a message's content to <paramref name="target"/>, taking media only from a user and refusal parts only from an assistant.</summary>
    protected abstract TranslationRefusal? AddContent(JsonElement message, int index, List<TItem> target, bool media, bool refusals);

    /// <summary>Adds what goes before an assistant message's content to <see cref="Leading"/> (nothing unless the provider replays something).</summary>
    protected virtual void AddAssistantLeading(JsonElement message)
    {
    }

    /// <summary>Adds one checked assistant tool call, with its <paramref name="id"/> and function <paramref name="name"/>.</summary>
    protected abstract void AddToolCall(JsonElement call, string id, string name);

    /// <summary>Adds a tool message whose <c>tool_call_id</c> is <paramref name="id"/>.</summary>
    protected abstract TranslationRefusal? AddToolResult(JsonElement message, int index, string id);

    /// <summary>A new turn of <paramref name="role"/>.</summary>
    protected abstract TTurn NewTurn(string role);

    /// <summary>The role of <paramref name="turn"/>.</summary>
    protected abstract string RoleOf(TTurn turn);

    /// <summary>Appends a message's <paramref name="leading"/> items and the rest to <paramref name="turn"/>.</summary>
    protected abstract void Append(TTurn turn, List<TItem> leading, List<TItem> items);

    private TranslationRefusal? Add(JsonElement message, int index)
    {
        var role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
            ? r.GetString() : null;
        TranslationRefusal? refusal;
        switch (role)
        {
            case "system" or "developer":
                return AddContent(message, index, System, media: false, refusals: false);
            case "user":
                refusal = AddContent(message, index, Items, media: true, refusals: false);
                break;
            case "assistant":
                refusal = AddAssistant(message, index);
                role = AssistantRole;
                break;
            case "tool":
                refusal = message.TryGetProperty("tool_call_id", out var id) && id.ValueKind == JsonValueKind.String
                    ? AddToolResult(message, index, id.GetString()!)
                    : new TranslationRefusal($"'messages[{index}].tool_call_id' is required and must be a string.", $"messages[{index}].tool_call_id", "invalid_value");
                role = "user";
                break;
            case "function":
                return TranslationRefusal.UnsupportedValue(
                    "The legacy 'function' role is not supported by this model; send tool results as 'tool' messages.", $"messages[{index}].role");
            default:
                return new TranslationRefusal($"'messages[{index}].role' must be system, developer, user, assistant or tool.", $"messages[{index}].role", "invalid_value");
        }

        if (refusal is null && (Leading.Count > 0 || Items.Count > 0))
        {
            var turn = Turns.Count > 0 && RoleOf(Turns[^1]) == role ? Turns[^1] : null;
            if (turn is null)
            {
                Turns.Add(turn = NewTurn(role));
            }

            Append(turn, Leading, Items);
        }

        Leading.Clear();
        Items.Clear();
        return refusal;
    }

    private TranslationRefusal? AddAssistant(JsonElement message, int index)
    {
        if (message.TryGetProperty("function_call", out var legacy) && legacy.ValueKind != JsonValueKind.Null)
        {
            return TranslationRefusal.Unsupported(
                "The legacy 'function_call' is not supported by this model; use 'tool_calls'.", $"messages[{index}].function_call");
        }

        AddAssistantLeading(message);
        if (AddContent(message, index, Items, media: false, refusals: true) is { } refusal)
        {
            return refusal;
        }

        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (calls.ValueKind != JsonValueKind.Array)
        {
            return new TranslationRefusal($"'messages[{index}].tool_calls' must be an array.", $"messages[{index}].tool_calls", "invalid_value");
        }

        var k = 0;
        foreach (var call in calls.EnumerateArray())
        {
            if (call.ValueKind != JsonValueKind.Object
                || !call.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || (call.TryGetProperty("type", out var type) && (type.ValueKind != JsonValueKind.String || !type.ValueEquals("function"u8))))
            {
                return TranslationRefusal.UnsupportedValue(
                    $"'messages[{index}].tool_calls[{k}]' must be a function call with a string 'id' and 'function.name'.", $"messages[{index}].tool_calls[{k}]");
            }

            AddToolCall(call, id.GetString()!, name.GetString()!);
            k++;
        }

        return null;
    }
}
