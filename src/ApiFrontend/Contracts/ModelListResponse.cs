using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>OpenAI's model list.</summary>
public sealed record ModelListResponse(IReadOnlyList<ModelResponse> Data)
{
    public string Object => "list";
}

/// <summary>OpenAI's model object (the catalog does not know when a model was made: <c>created</c> is 0).</summary>
public sealed record ModelResponse(
    string Id,
    [property: JsonPropertyName("owned_by")] string OwnedBy)
{
    public string Object => "model";

    public long Created => 0;
}

/// <summary>Anthropic's model list: one page, with the ids that bound it and whether more follow in the direction asked.</summary>
public sealed record AnthropicModelListResponse(
    IReadOnlyList<AnthropicModelResponse> Data,
    [property: JsonPropertyName("has_more")] bool HasMore,
    [property: JsonPropertyName("first_id")] string? FirstId,
    [property: JsonPropertyName("last_id")] string? LastId);

/// <summary>
/// Anthropic's model object. The catalog does not know when a model was released, so <c>created_at</c> is the Unix epoch
/// (as OpenAI's <c>created</c> is 0); <c>max_tokens</c> is the catalog's output ceiling for the model.
/// </summary>
public sealed record AnthropicModelResponse(
    string Id,
    [property: JsonPropertyName("display_name")] string DisplayName,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("max_tokens")] int MaxTokens)
{
    public string Type => "model";
}
