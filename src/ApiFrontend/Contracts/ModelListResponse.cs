using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>OpenAI's model list.</summary>
public sealed record ModelListResponse(IReadOnlyList<ModelResponse> Data)
{
    public string Object => "list";
}

public sealed record ModelResponse(
    string Id,
    [property: JsonPropertyName("owned_by")] string OwnedBy)
{
    public string Object => "model";

    public long Created => 0;
}
