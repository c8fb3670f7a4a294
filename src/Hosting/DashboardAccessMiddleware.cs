using System.Text;
using Microsoft.AspNetCore.Http;

namespace Gateway.Hosting;

/// <summary>
/// Lets only operators see the dashboard outside Development: the admin key as a Bearer token, or as the
/// password of HTTP Basic authentication so that a browser can prompt for it.
/// </summary>
internal sealed class DashboardAccessMiddleware(RequestDelegate next, AdminKeyVerifier verifier)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (verifier.Verify(BearerToken.From(context.Request)) || verifier.Verify(BasicPassword(context.Request)))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"gateway dashboard\", charset=\"UTF-8\"";
        return Task.CompletedTask;
    }

    private static string BasicPassword(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return "";
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            var colon = decoded.IndexOf(':');
            return colon < 0 ? "" : decoded[(colon + 1)..];
        }
        catch (FormatException)
        {
            return "";
        }
    }
}
