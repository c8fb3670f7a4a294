using System.Text.Json;
using Gateway.ApiFrontend.Errors;
using Gateway.Catalog.Models;
using Gateway.Catalog.Tokenization;

namespace Gateway.ApiFrontend.Chat;

/// <summary>
/// Validates an OpenAI chat completion body, estimates its worst case, and has it rewritten for the provider
/// (<see cref="UpstreamChatBody"/>).
/// </summary>
public static class ChatRequestParser
{
    private const int MaxChoices = 128;

    // Prompts whose cheap upper bound (their raw JSON length) is under this are counted at once: a few milliseconds at
    // most. Larger ones are counted only after the tenant said how much it could admit (see LargePrompts).
    private const long CountAtOnceBelow = 32 * 1024;
    // A field given twice would be read here in one version and by the provider in another (a small prompt counted, a
    // large one served): refused.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool", "function"];

    public static ChatRequest? Parse(ReadOnlyMemory<byte> body, ModelCatalog catalog, out OpenAiError? error)
    {
        error = null;
        if (Contracts.JsonText.Problem(body.Span) is { } problem)
        {
            error = OpenAiError.InvalidRequest(problem);
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException)
        {
            error = OpenAiError.InvalidRequest("We could not parse the JSON body of your request. The body must be a JSON object.");
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = OpenAiError.InvalidRequest("The request body must be a JSON object.");
                return null;
            }

            if (!root.TryGetProperty("model", out var modelElement) || modelElement.ValueKind != JsonValueKind.String
                || modelElement.GetString() is not { Length: > 0 } modelName)
            {
                error = OpenAiError.InvalidRequest("'model' is required and must be a string.", "model");
                return null;
            }

            if (!catalog.TryResolve(modelName, out var modelId, out var model))
            {
                error = new OpenAiError(StatusCodes.Status404NotFound,
                    $"The model '{Truncate(modelName)}' does not exist or you do not have access to it.",
                    "invalid_request_error", "model", "model_not_found");
                return null;
            }

            if ((error = ValidateMessages(root)) is not null
                || !TryReadBool(root, "stream", out var stream, out error)
                || !TryReadStreamOptions(root, out var includeUsage, out error)
                || !TryReadInt(root, "n", 1, MaxChoices, out var choices, out error)
                || !TryReadInt(root, "max_completion_tokens", 1, model.MaxOutputTokens, out var maxCompletion, out error)
                || !TryReadInt(root, "max_tokens", 1, model.MaxOutputTokens, out var maxTokens, out error))
            {
                return null;
            }

            var outputPerChoice = maxCompletion ?? maxTokens ?? model.MaxOutputTokens;
            var bound = PromptUpperBound(root);
            var large = bound >= CountAtOnceBelow;
            var prompt = large ? bound : CountPrompt(root, long.MaxValue, CancellationToken.None);
            var upstream = UpstreamChatBody.Write(root, stream ?? false);
            return new ChatRequest(modelId, stream ?? false, includeUsage, (int)Math.Min(int.MaxValue, prompt), outputPerChoice * (choices ?? 1), upstream,
                maxCompletion ?? maxTokens, choices ?? 1, PromptIsUpperBound: large);
        }
    }

    /// <summary>
    /// The prompt's tokens as admission reserves them: its messages and its tools. Stops once over <paramref name="cap"/>
    /// and returns a number over it.
    /// </summary>
    public static long CountPrompt(JsonElement root, long cap, CancellationToken cancellationToken)
    {
        var prompt = ChatTokenCounter.CountMessages(root.GetProperty("messages"), cap, cancellationToken);
        if (prompt <= cap && root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            prompt += ChatTokenCounter.CountText(tools.GetRawText(), cap - prompt, cancellationToken);
        }

        return prompt;
    }

    private static long PromptUpperBound(JsonElement root) =>
        ChatTokenCounter.UpperBound(root.GetProperty("messages"))
        + (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array ? System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(tools).Length : 0);

    private static OpenAiError? ValidateMessages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return OpenAiError.InvalidRequest("'messages' is required and must be an array.", "messages");
        }

        if (messages.GetArrayLength() == 0)
        {
            return OpenAiError.InvalidRequest("'messages' must contain at least one message.", "messages");
        }

        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var param = $"messages[{index++}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                return OpenAiError.InvalidRequest($"'{param}' must be an object.", param);
            }

            if (!message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                || !Roles.Contains(role.GetString()))
            {
                return OpenAiError.InvalidRequest(
                    $"'{param}.role' is required and must be one of {string.Join(", ", Roles)}.", $"{param}.role");
            }

            var hasContent = message.TryGetProperty("content", out var content);
            var contentOk = !hasContent
                ? role.ValueEquals("assistant")
                : content.ValueKind switch
                {
                    JsonValueKind.String or JsonValueKind.Array => true,
                    JsonValueKind.Null => role.ValueEquals("assistant"),
                    _ => false,
                };
            if (!contentOk)
            {
                return OpenAiError.InvalidRequest($"'{param}.content' must be a string or an array of content parts.", $"{param}.content");
            }

            if (hasContent && content.ValueKind == JsonValueKind.Array && ValidateParts(content, $"{param}.content") is { } partError)
            {
                return partError;
            }
        }

        return null;
    }

    private static OpenAiError? ValidateParts(JsonElement parts, string param)
    {
        var index = 0;
        foreach (var part in parts.EnumerateArray())
        {
            var partParam = $"{param}[{index++}]";
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return OpenAiError.InvalidRequest($"'{partParam}' must be an object with a string 'type'.", $"{partParam}.type");
            }

            if (type.ValueEquals("text") && (!part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String))
            {
                return OpenAiError.InvalidRequest($"'{partParam}.text' is required and must be a string.", $"{partParam}.text");
            }
        }

        return null;
    }

    private static bool TryReadBool(JsonElement root, string name, out bool? value, out OpenAiError? error)
    {
        value = null;
        error = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            value = element.GetBoolean();
            return true;
        }

        error = OpenAiError.InvalidRequest($"'{name}' must be a boolean.", name);
        return false;
    }

    private static bool TryReadInt(JsonElement root, string name, int min, int max, out int? value, out OpenAiError? error)
    {
        value = null;
        error = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var number))
        {
            error = OpenAiError.InvalidRequest($"'{name}' must be an integer.", name);
            return false;
        }

        if (number < min || number > max)
        {
            error = OpenAiError.InvalidRequest($"'{name}' must be between {min} and {max} for this model; got {number}.", name);
            return false;
        }

        value = (int)number;
        return true;
    }

    private static bool TryReadStreamOptions(JsonElement root, out bool includeUsage, out OpenAiError? error)
    {
        includeUsage = false;
        error = null;
        if (!root.TryGetProperty("stream_options", out var options) || options.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (options.ValueKind != JsonValueKind.Object)
        {
            error = OpenAiError.InvalidRequest("'stream_options' must be an object.", "stream_options");
            return false;
        }

        if (!TryReadBool(options, "include_usage", out var value, out error))
        {
            error = OpenAiError.InvalidRequest("'stream_options.include_usage' must be a boolean.", "stream_options.include_usage");
            return false;
        }

        includeUsage = value ?? false;
        return true;
    }

    private static string Truncate(string value) => value.Length <= 100 ? value : value[..100] + "…";
}
