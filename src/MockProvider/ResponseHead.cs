using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>The members every object of one response repeats: id, created and model, encoded once.</summary>
internal readonly record struct ResponseHead(JsonEncodedText Id, long Created, JsonEncodedText Model)
{
    private const string IdPrefix = "chatcmpl-";

    public static ResponseHead Create(string model)
    {
        Span<char> id = stackalloc char[IdPrefix.Length + 32];
        IdPrefix.CopyTo(id);
        Guid.NewGuid().TryFormat(id[IdPrefix.Length..], out _, "N");
        return new ResponseHead(
            JsonEncodedText.Encode(id, MockJson.Encoder),
            DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            JsonEncodedText.Encode(model, MockJson.Encoder));
    }

    public void WriteTo(Utf8JsonWriter json, ReadOnlySpan<byte> objectType)
    {
        json.WriteString("id"u8, Id);
        json.WriteString("object"u8, objectType);
        json.WriteNumber("created"u8, Created);
        json.WriteString("model"u8, Model);
    }
}
