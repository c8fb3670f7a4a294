namespace Gateway.ApiFrontend.Auth;

/// <summary>A browser origin (<c>scheme://host[:port]</c>) in the one form the gateway compares: lower case, default port left out.</summary>
public static class BrowserOrigin
{
    /// <summary>The origin, or null when <paramref name="text"/> is not one (another scheme, a path, a query, user info).</summary>
    public static string? Normalize(string text)
    {
        if (text.Length > 256 || !Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0
            || uri.AbsolutePath != "/" || uri.IdnHost.Length == 0)
        {
            return null;
        }

        return uri.IsDefaultPort ? $"{uri.Scheme}://{uri.IdnHost}" : $"{uri.Scheme}://{uri.IdnHost}:{uri.Port}";
    }
}
