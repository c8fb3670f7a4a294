using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// The body of <c>POST /v1/chat/completions</c> (OpenAI's chat completion request) as the API document describes it: the
/// fields the gateway reads. Every other field of OpenAI's request is passed to the provider as given. The body itself is
/// read by <see cref="Chat.ChatRequestParser"/>, which must pass unknown fields through and so binds no type.
/// </summary>
public sealed record ChatCompletionRequest
{
    [Description("A model id or alias of the catalog (GET /v1/models).")]
    public required string Model { get; init; }

    [Description("The conversation so far; at least one message.")]
    public required IReadOnlyList<ChatCompletionMessage> Messages { get; init; }

    [JsonPropertyName("max_tokens"), Description("The most output tokens per choice, up to the model's limit.")]
    public int? MaxTokens { get; init; }

    [JsonPropertyName("max_completion_tokens"), Description("The most output tokens per choice, up to the model's limit (the newer name of max_tokens).")]
    public int? MaxCompletionTokens { get; init; }

    [Description("How many choices to generate (1 to 128); the reservation covers all of them.")]
    public int? N { get; init; }

    [Description("true: the answer comes as server-sent events of chat.completion.chunk objects, ending with 'data: [DONE]'.")]
    public bool? Stream { get; init; }

    [JsonPropertyName("stream_options")]
    public ChatStreamOptions? StreamOptions { get; init; }

    [Description("Sampling temperature; 0 (or a seed) makes a request eligible for the tenant's response cache.")]
    public double? Temperature { get; init; }

    [Description("A seed for deterministic sampling; makes a request eligible for the tenant's response cache.")]
    public long? Seed { get; init; }

    [Description("Tools the model may call, passed to the provider as given; counted as prompt tokens.")]
    public JsonElement? Tools { get; init; }

    [Description("An end-user id, passed to the provider as given.")]
    public string? User { get; init; }
}

/// <summary>One message of a chat completion request or answer.</summary>
public sealed record ChatCompletionMessage
{
    [Description("system, developer, user, assistant, tool or function.")]
    public required string Role { get; init; }

    [Description("A string, an array of content parts ({\"type\": \"text\", \"text\": ...} and others), or null in an assistant message with tool_calls.")]
    public JsonElement? Content { get; init; }

    public string? Name { get; init; }

    [JsonPropertyName("tool_calls"), Description("The tool calls of an assistant message.")]
    public JsonElement? ToolCalls { get; init; }

    [JsonPropertyName("tool_call_id"), Description("The call a tool message answers.")]
    public string? ToolCallId { get; init; }
}

/// <summary><c>stream_options</c> of a streamed chat completion request.</summary>
public sealed record ChatStreamOptions
{
    [JsonPropertyName("include_usage"), Description("true: a last chunk before [DONE] carries the usage (the gateway asks the provider for it either way).")]
    public bool? IncludeUsage { get; init; }
}
