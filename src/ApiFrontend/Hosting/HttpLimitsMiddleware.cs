using Gateway.ApiFrontend.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Gateway.ApiFrontend.Hosting;

/// <summary>
/// Refuses a request over the request-line or header limits of <see cref="HttpLimitsOptions"/> in the API's error shape
/// (OpenAI's, or Anthropic's on its endpoints): 414 for the request line (method, path and query), 431 for the headers
/// (their count, or their bytes together, each line counted as Kestrel counts it: name, ": ", value and line break).
/// Kestrel lets requests up to <see cref="HttpLimitsOptions.KestrelMargin"/> times over these limits through to here.
/// </summary>
public static class HttpLimitsMiddleware
{
    private const int LineBreak = 2;
    private const int HeaderSeparator = 2;

    public static IApplicationBuilder UseHttpLimits(this IApplicationBuilder app)
    {
        var limits = app.ApplicationServices.GetRequiredService<IOptions<HttpLimitsOptions>>().Value;
        return app.Use((context, next) => Refusal(context, limits) is { } error ? UnhandledErrors.Render(context, error) : next(context));
    }

    private static OpenAiError? Refusal(HttpContext context, HttpLimitsOptions limits)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        if (request.Method.Length + 1 + target.Length + 1 + request.Protocol.Length + LineBreak > limits.MaxRequestLineSize)
        {
            return new OpenAiError(StatusCodes.Status414UriTooLong,
                $"The request line (method, path and query) is longer than the {limits.MaxRequestLineSize} bytes the gateway accepts.",
                "invalid_request_error", code: "request_line_too_long");
        }

        var headers = request.Headers;
        if (headers.Count > limits.MaxRequestHeaderCount)
        {
            return TooLarge($"The request has more than the {limits.MaxRequestHeaderCount} headers the gateway accepts.");
        }

        long bytes = LineBreak;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                bytes += name.Length + HeaderSeparator + (value?.Length ?? 0) + LineBreak;
            }
        }

        return bytes > limits.MaxRequestHeadersTotalSize
            ? TooLarge($"The request headers total more than the {limits.MaxRequestHeadersTotalSize} bytes the gateway accepts.")
            : null;

        static OpenAiError TooLarge(string message) =>
            new(StatusCodes.Status431RequestHeaderFieldsTooLarge, message, "invalid_request_error", code: "request_headers_too_large");
    }
}
