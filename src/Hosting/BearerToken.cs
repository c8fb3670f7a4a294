using Microsoft.AspNetCore.Http;

namespace Gateway.Hosting;

/// <summary>Reads the credential a request presents: <c>Authorization: Bearer</c>, or Anthropic-style <c>x-api-key</c>.</summary>
public static class BearerToken
{
    public static ReadOnlySpan<char> From(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString().AsSpan().Trim();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization[7..].Trim();
        }

        return request.Headers["x-api-key"].ToString().AsSpan().Trim();
    }
}
