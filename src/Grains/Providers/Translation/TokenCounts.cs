using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>Reads the token counts of a provider's usage object.</summary>
internal static class TokenCounts
{
    /// <summary>
    /// The count <paramref name="name"/> of <paramref name="parent"/>; false, with 0, when it is absent or not a count (a
    /// negative or fractional number is taken as absent, never passed on to billing).
    /// </summary>
    public static bool TryRead(JsonElement parent, string name, out long value)
    {
        if (parent.ValueKind == JsonValueKind.Object
            && parent.TryGetProperty(name, out var element)
            && element.ValueKind == JsonValueKind.Number
            && element.TryGetInt64(out value)
            && value >= 0)
        {
            return true;
        }

        value = 0;
        return false;
    }
}
