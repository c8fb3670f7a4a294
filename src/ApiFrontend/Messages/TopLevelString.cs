using System.Text.Json;

namespace Gateway.ApiFrontend.Messages;

/// <summary>Finds one top-level string member of an event's JSON without reading the rest (an event's <c>type</c>, a chunk's <c>model</c>).</summary>
internal static class TopLevelString
{
    /// <summary>
    /// Moves <paramref name="reader"/> (at the start) onto the value of the top-level member <paramref name="name"/>; false
    /// when the JSON is not an object, has no such member, or its value is not a string.
    /// </summary>
    public static bool Seek(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var found = reader.ValueTextEquals(name);
            reader.Read();
            if (found)
            {
                return reader.TokenType == JsonTokenType.String;
            }

            reader.Skip();
        }

        return false;
    }
}
