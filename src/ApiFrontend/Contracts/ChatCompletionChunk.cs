using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// One server-sent event of a streamed <c>POST /v1/chat/completions</c> (OpenAI's <c>chat.completion.chunk</c>), as the API
/// document describes it; the stream ends with <c>data: [DONE]</c>, and an error after the first byte comes as a last
/// event in the error JSON.
/// </summary>
public sealed record ChatCompletionChunk(
    string Id,
    string Object,
    long Created,
    string Model,
    IReadOnlyList<ChatCompletionChunkChoice> Choices,
    ChatCompletionUsage? Usage);

public sealed record ChatCompletionChunkChoice(
    int Index,
    ChatCompletionDelta Delta,
    [property: JsonPropertyName("finish_reason")] string? FinishReason);

/// <summary>What a chunk adds to a choice's message.</summary>
public sealed record ChatCompletionDelta(string? Role, string? Content);
