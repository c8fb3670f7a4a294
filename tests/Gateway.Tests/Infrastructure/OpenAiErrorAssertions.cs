using System.Net;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Infrastructure;

/// <summary>Assertions on the one error shape of the API.</summary>
public static class OpenAiErrorAssertions
{
    /// <summary>Asserts the status, a request id and the exact OpenAI error shape; returns the inner <c>error</c> object.</summary>
    public static async Task<JsonObject> AssertOpenAiErrorAsync(
        HttpResponseMessage response, HttpStatusCode status, string type, string? param, string? code, string because)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{because}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.True(response.Headers.TryGetValues("x-request-id", out var ids) && ids.Single().StartsWith("req_", StringComparison.Ordinal),
            $"{because}: the response must carry an x-request-id.");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json",
            $"{because}: the error must be JSON, got '{response.Content.Headers.ContentType}'.");

        var root = JsonNode.Parse(text) as JsonObject;
        Assert.True(root is not null && root.Count == 1 && root["error"] is JsonObject, $"{because}: the body must be {{\"error\":{{...}}}}, got {text}");
        var error = root!["error"]!.AsObject();
        Assert.True(
            error.Select(p => p.Key).Order(StringComparer.Ordinal).SequenceEqual(["code", "message", "param", "type"]),
            $"{because}: the error must have exactly message, type, param and code, got {text}");
        Assert.True(error["message"] is JsonValue message && message.TryGetValue<string>(out var m) && m.Length > 0,
            $"{because}: message must be a non-empty string, got {text}");
        Assert.True(error["type"] is JsonValue t && t.TryGetValue<string>(out var actualType) && actualType == type,
            $"{because}: type should be '{type}', got {text}");
        AssertNullableString(error["param"], param, "param", because, text);
        AssertNullableString(error["code"], code, "code", because, text);
        return error;
    }

    private static void AssertNullableString(JsonNode? node, string? expected, string name, string because, string text)
    {
        if (expected is null)
        {
            Assert.True(node is null, $"{because}: {name} should be null, got {text}");
        }
        else
        {
            Assert.True(node is JsonValue value && value.TryGetValue<string>(out var actual) && actual == expected,
                $"{because}: {name} should be '{expected}', got {text}");
        }
    }
}
