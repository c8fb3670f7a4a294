using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>The answer of <c>POST /v1/messages</c> when not streamed (Anthropic's <c>message</c> object), as the API document describes it.</summary>
public sealed record MessageResponse(
    string Id,
    string Type,
    string Role,
    string Model,
    [property: Description("Text blocks {type: text, text} and tool_use blocks {type: tool_use, id, name, input}.")] IReadOnlyList<JsonElement> Content,
    [property: JsonPropertyName("stop_reason"), Description("end_turn, max_tokens, tool_use or refusal.")] string? StopReason,
    [property: JsonPropertyName("stop_sequence")] string? StopSequence,
    MessageUsageResponse Usage);

/// <summary>The tokens a message used, as Anthropic reports them: input_tokens excludes cached input.</summary>
public sealed record MessageUsageResponse(
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("cache_creation_input_tokens")] long CacheCreationInputTokens,
    [property: JsonPropertyName("cache_read_input_tokens")] long CacheReadInputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens);

/// <summary>
/// One server-sent event of a streamed <c>POST /v1/messages</c>, named by its <c>event:</c> line: message_start,
/// content_block_start, content_block_delta, content_block_stop, message_delta, message_stop, ping, or error.
/// </summary>
public sealed record MessageStreamEvent(
    [property: Description("The event's name, repeated.")] string Type,
    int? Index,
    MessageResponse? Message,
    [property: JsonPropertyName("content_block")] JsonElement? ContentBlock,
    [property: Description("text_delta {text}, input_json_delta {partial_json}, or (message_delta) {stop_reason, stop_sequence}.")] JsonElement? Delta,
    MessageUsageResponse? Usage,
    AnthropicErrorDetail? Error);

/// <summary>Anthropic's error JSON, <c>{"type":"error","error":{"type","message"}}</c>, as the Messages endpoints answer errors.</summary>
public sealed record AnthropicErrorResponse(string Type, AnthropicErrorDetail Error);

public sealed record AnthropicErrorDetail(
    [property: Description("invalid_request_error, authentication_error, permission_error, not_found_error, request_too_large, rate_limit_error, api_error, timeout_error or overloaded_error.")] string Type,
    string Message);
