using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// The answer of <c>POST /v1/chat/completions</c> when not streamed (OpenAI's <c>chat.completion</c> object), as the API
/// document describes it. The provider's answer is relayed, so it may carry more fields.
/// </summary>
public sealed record ChatCompletionResponse(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChatCompletionChoice> Choices,
    ChatCompletionUsage? Usage);

public sealed record ChatCompletionChoice(
    int Index,
    ChatCompletionMessage Message,
    [property: JsonPropertyName("finish_reason")] string? FinishReason);

/// <summary>The tokens a completion used: what the tenant is charged for.</summary>
public sealed record ChatCompletionUsage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("total_tokens")] int TotalTokens);
