using System.Text.Json.Nodes;
using Xunit.Sdk;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// <see cref="Assert.Equal{T}(T, T)"/> that also says what the test knew when the values differ (a response body, the
/// usage it read, a process log): the failure shows the expected and actual values as Assert.Equal does, then the context.
/// JSON is compared as JSON (<see cref="JsonNode.DeepEquals"/>: property order aside) and shown as text.
/// </summary>
public static class Expect
{
    public static void Equal<T>(T expected, T actual, string context)
    {
        try
        {
            Assert.Equal(expected, actual);
        }
        catch (EqualException mismatch)
        {
            throw new XunitException($"{context}{Environment.NewLine}{mismatch.Message}");
        }
    }

    public static void JsonEqual(JsonNode? expected, JsonNode? actual, string context)
    {
        if (!JsonNode.DeepEquals(expected, actual))
        {
            // Unequal JSON is unequal text, so this shows where the two part.
            Equal(expected?.ToJsonString() ?? "null", actual?.ToJsonString() ?? "null", context);
        }
    }
}
