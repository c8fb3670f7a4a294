using System.Text.Json;

namespace Gateway.Grains.Upstream;

/// <summary>Replaces the value of a JSON object's top-level <c>model</c> string, leaving every other byte as it was.</summary>
internal static class ModelField
{
    /// <summary><paramref name="json"/> with its top-level <c>model</c> set to <paramref name="modelJson"/> (a JSON string); unchanged when it has none.</summary>
    public static byte[] Replace(byte[] json, byte[] modelJson)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return json;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isModel = reader.ValueTextEquals("model"u8);
            if (!reader.Read())
            {
                return json;
            }

            if (isModel && reader.TokenType == JsonTokenType.String)
            {
                var start = (int)reader.TokenStartIndex;
                var end = (int)reader.BytesConsumed;
                if (json.AsSpan(start, end - start).SequenceEqual(modelJson))
                {
                    return json;
                }

                var result = new byte[json.Length - (end - start) + modelJson.Length];
                json.AsSpan(0, start).CopyTo(result);
                modelJson.CopyTo(result.AsSpan(start));
                json.AsSpan(end).CopyTo(result.AsSpan(start + modelJson.Length));
                return result;
            }

            reader.TrySkip();
        }

        return json;
    }
}
