
namespace Gateway.MockProvider;

internal static class MockAuthorization
{
    private const string BearerPrefix = "Bearer ";

    public static bool IsAuthorized(HttpRequest request, string? apiKey)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            return true;
        }

        var header = request.Headers.Authorization;
        if (header.Count != 1)
        {
            return false;
        }

        var value = header[0].AsSpan();
        return value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            && value[BearerPrefix.Length..].Trim().SequenceEqual(apiKey);
    }
}
