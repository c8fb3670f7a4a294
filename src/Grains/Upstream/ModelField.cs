using System.Text.Json;

namespace Gateway.Grains.Upstream;

/// <summary>
/// Writes the top-level <c>model</c> of a JSON object, leaving every other byte as it was: put first into the client's
/// body (sent without one) for each deployment it goes to, and replaced in a provider's answer by the catalog's name.
/// </summary>
internal static class ModelField
{
    /// <summary>The client's body (a JSON object without <c>model</c>) with <paramref name="modelJson"/> (a JSON string) put first as its <c>model</c>.</summary>
    public static byte[] Insert(byte[] body, byte[] modelJson)
    {
        ReadOnlySpan<byte> prefix = "{\"model\":"u8;
        var rest = body.AsSpan(1);
        var empty = rest.TrimStart(" \t\r\n"u8).StartsWith("}"u8);
        var result = new byte[prefix.Length + modelJson.Length + (empty ? 0 : 1) + rest.Length];
        prefix.CopyTo(result);
        modelJson.CopyTo(result.AsSpan(prefix.Length));
        var at = prefix.Length + modelJson.Length;
        if (!empty)
        {
            result[at++] = (byte)',';
        }

        rest.CopyTo(result.AsSpan(at));
        return result;
    }

    /// <summary><paramref name="json"/> with its top-level <c>model</c> set to <paramref name="modelJson"/> (a JSON string); unchanged when it has none.</summary>
    public static byte[] Replace(byte[] json, byte[] modelJson)
    {
        var reader = new Utf8JsonReader(json);
        return reader.Read() && reader.TokenType == JsonTokenType.StartObject ? ReplaceInObject(json, ref reader, modelJson) : json;
    }

    /// <summary>
    /// <paramref name="json"/> with the <c>model</c> of its top-level object member <paramref name="member"/> set to
    /// <paramref name="modelJson"/> (Anthropic's <c>message_start</c> names the model in its <c>message</c>); unchanged when
    /// it has none.
    /// </summary>
    public static byte[] ReplaceIn(byte[] json, ReadOnlySpan<byte> member, byte[] modelJson)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return json;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMember = reader.ValueTextEquals(member);
            if (!reader.Read())
            {
                return json;
            }

            if (isMember && reader.TokenType == JsonTokenType.StartObject)
            {
                return ReplaceInObject(json, ref reader, modelJson);
            }

            reader.TrySkip();
        }

        return json;
    }

    /// <summary>The object the reader has just entered, with its <c>model</c> replaced.</summary>
    private static byte[] ReplaceInObject(byte[] json, ref Utf8JsonReader reader, byte[] modelJson)
    {
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
