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
        Expect.Equal(status, response.StatusCode, $"{because}: {text}");
        Assert.True(response.Headers.TryGetValues("x-request-id", out var ids) && ids.Single().StartsWith("req_", StringComparison.Ordinal),
            $"{because}: the response must carry an x-request-id.");
        Expect.Equal("application/json", response.Content.Headers.ContentType?.MediaType, $"{because}: the error must be JSON");

        var root = JsonNode.Parse(text) as JsonObject;
        Assert.True(root is not null && root.Count == 1 && root["error"] is JsonObject, $"{because}: the body must be {{\"error\":{{...}}}}, got {text}");
        var error = root!["error"]!.AsObject();
        Expect.Equal(["code", "message", "param", "type"], error.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray(),
            $"{because}: the error must have exactly message, type, param and code: {text}");
        Assert.True(error["message"] is JsonValue message && message.TryGetValue<string>(out var m) && m.Length > 0,
            $"{because}: message must be a non-empty string, got {text}");
        Expect.Equal(
            (type, param, code),
            (StringOf(error["type"]), StringOf(error["param"]), StringOf(error["code"])),
            $"{because}: the error's type, param and code: {text}");
        return error;
    }

    /// <summary>A JSON string's value; null for JSON null; anything else as its JSON, marked, so it never equals a string.</summary>
    private static string? StringOf(JsonNode? node) =>
        node is null ? null : node is JsonValue value && value.TryGetValue<string>(out var text) ? text : $"{node.ToJsonString()} (not a string)";
}
