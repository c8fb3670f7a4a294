using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// The parts of an Anthropic Messages request the mock acts on. Directives come from a <c>mock</c> object or, for a
/// request that crossed a gateway translating from OpenAI's format (which drops members it does not know), from a system
/// text block reading <c>mock: {...}</c>. Elements point into the parsed document, valid only while it is.
/// </summary>
internal readonly record struct MessagesRequest(
    string Model,
    JsonElement System,
    JsonElement Messages,
    int MaxTokens,
    bool Stream,
    JsonElement Tools,
    bool Thinking,
    string? User,
    MockDirectives Mock)
{
    private const string DirectivePrefix = "mock:";

    public static bool TryParse(JsonElement root, string version, out MessagesRequest request, [NotNullWhen(false)] out string? error)
    {
        request = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "The request body must be a JSON object.";
            return false;
        }

        string? model = null, user = null;
        JsonElement system = default, messages = default, tools = default;
        int? maxTokens = null;
        var stream = false;
        var thinking = false;
        var mock = default(MockDirectives);
        var mockFromBody = false;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "model":
                    model = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                    break;
                case "system":
                    system = value;
                    break;
                case "messages":
                    messages = value;
                    break;
                case "max_tokens":
                    if (!ChatRequest.TryReadInt(value, 1, int.MaxValue, out maxTokens))
                    {
                        error = "max_tokens: Input should be a valid integer greater than or equal to 1";
                        return false;
                    }

                    break;
                case "stream":
                    if (!ChatRequest.TryReadBool(value, out stream))
                    {
                        error = "stream: Input should be a valid boolean";
                        return false;
                    }

                    break;
                case "tools":
                    tools = value;
                    break;
                case "thinking":
                    thinking = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("type"u8, out var type)
                        && (type.ValueEquals("enabled"u8) || type.ValueEquals("adaptive"u8));
                    break;
                case "metadata":
                    user = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("user_id"u8, out var id) && id.ValueKind == JsonValueKind.String
                        ? id.GetString()
                        : null;
                    break;
                case "temperature" or "top_p" or "top_k" when string.CompareOrdinal(version, MockAnthropicVersions.V20261021) >= 0:
                    error = $"{property.Name}: Extra inputs are not permitted on anthropic-version {version}";
                    return false;
                case "mock":
                    if (!ChatRequest.TryParseDirectives(value, out mock, out error))
                    {
                        return false;
                    }

                    mockFromBody = true;
                    break;
            }
        }

        if (model is null)
        {
            error = "model: Field required";
            return false;
        }

        if (maxTokens is not int max)
        {
            error = "max_tokens: Field required";
            return false;
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            error = "messages: Field required";
            return false;
        }

        if (!mockFromBody && !TryReadSystemDirectives(system, out mock, out error))
        {
            return false;
        }

        request = new MessagesRequest(model, system, messages, max, stream, tools, thinking, user, mock);
        error = null;
        return true;
    }

    /// <summary>The tools the request offers (objects with a name), in order.</summary>
    public List<JsonElement> ToolList()
    {
        var list = new List<JsonElement>();
        if (Tools.ValueKind == JsonValueKind.Array)
        {
            foreach (var tool in Tools.EnumerateArray())
            {
                if (tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String)
                {
                    list.Add(tool);
                }
            }
        }

        return list;
    }

    private static bool TryReadSystemDirectives(JsonElement system, out MockDirectives directives, [NotNullWhen(false)] out string? error)
    {
        directives = default;
        error = null;
        if (system.ValueKind == JsonValueKind.String)
        {
            return TryReadDirectiveText(system.GetString()!, ref directives, out error);
        }

        if (system.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in system.EnumerateArray())
            {
                if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String
                    && !TryReadDirectiveText(text.GetString()!, ref directives, out error))
                {
                    return false;
                }
            }
        }

        return true;
    }

    internal static bool TryReadDirectiveText(string text, ref MockDirectives directives, [NotNullWhen(false)] out string? error)
    {
        error = null;
        var trimmed = text.AsSpan().Trim();
        if (!trimmed.StartsWith(DirectivePrefix, StringComparison.Ordinal))
        {
            return true;
        }

        try
        {
            using var document = JsonDocument.Parse(trimmed[DirectivePrefix.Length..].ToString());
            return ChatRequest.TryParseDirectives(document.RootElement, out directives, out error);
        }
        catch (JsonException)
        {
            error = "A system block starting with 'mock:' must go on with a JSON object of directives.";
            return false;
        }
    }
}
