using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// A provider's response body read as what every reader of one expects first: a JSON object. Anything else (not JSON,
/// an array, a bare value) is a bad response, which the caller reports as such.
/// </summary>
internal static class JsonObjectBody
{
    /// <summary>The body as a JSON document whose root is an object (the caller disposes it); false when it is not one.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out JsonDocument? document)
    {
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            document = null;
            return false;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            document = null;
            return false;
        }

        return true;
    }
}
