using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// The body of <c>POST /v1/messages</c> (Anthropic's Messages request) as the API document describes it: the fields the
/// gateway translates. The body itself is read by <see cref="Messages.MessagesRequestTranslator"/>.
/// </summary>
public sealed record CreateMessageRequest
{
    [Description("A model id or alias of the catalog (GET /v1/models).")]
    public required string Model { get; init; }

    [JsonPropertyName("max_tokens"), Description("The most output tokens, up to the model's limit. Required.")]
    public required int MaxTokens { get; init; }

    [Description("The conversation: user and assistant turns, each a string or a list of text, image, tool_use and tool_result blocks.")]
    public required IReadOnlyList<MessageParam> Messages { get; init; }

    [Description("A system prompt: a string or a list of text blocks.")]
    public JsonElement? System { get; init; }

    [Description("true: the answer comes as Anthropic's server-sent events (message_start ... message_stop).")]
    public bool? Stream { get; init; }

    [JsonPropertyName("stop_sequences")]
    public IReadOnlyList<string>? StopSequences { get; init; }

    [Description("Sampling temperature (anthropic-version 2023-06-01 only).")]
    public double? Temperature { get; init; }

    [JsonPropertyName("top_p"), Description("Nucleus sampling (anthropic-version 2023-06-01 only).")]
    public double? TopP { get; init; }

    [Description("Custom tools ({name, description, input_schema}); counted as prompt tokens.")]
    public JsonElement? Tools { get; init; }

    [JsonPropertyName("tool_choice"), Description("{\"type\": \"auto\" | \"any\" | \"tool\" | \"none\", \"name\", \"disable_parallel_tool_use\"}.")]
    public JsonElement? ToolChoice { get; init; }

    [Description("{\"type\": \"enabled\", \"budget_tokens\"} or {\"type\": \"adaptive\"}: asks the provider for reasoning (low, medium or high effort by budget).")]
    public JsonElement? Thinking { get; init; }

    [Description("{\"user_id\"}: the end user, passed to the provider.")]
    public JsonElement? Metadata { get; init; }
}

/// <summary>One turn of a Messages request.</summary>
public sealed record MessageParam
{
    [Description("user or assistant.")]
    public required string Role { get; init; }

    [Description("A string or a list of content blocks.")]
    public required JsonElement Content { get; init; }
}

/// <summary>The body of <c>POST /v1/messages/count_tokens</c>: a Messages request without <c>max_tokens</c>.</summary>
public sealed record CountMessageTokensRequest
{
    public required string Model { get; init; }

    public required IReadOnlyList<MessageParam> Messages { get; init; }

    public JsonElement? System { get; init; }

    public JsonElement? Tools { get; init; }
}

/// <summary>The answer of <c>POST /v1/messages/count_tokens</c>.</summary>
public sealed record CountMessageTokensResponse([property: JsonPropertyName("input_tokens")] long InputTokens);
