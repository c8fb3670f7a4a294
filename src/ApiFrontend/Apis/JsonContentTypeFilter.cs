using Gateway.ApiFrontend.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Gateway.ApiFrontend.Apis;

/// <summary>
/// A request that says its body is something other than JSON is refused with 415 before the body is read. A body
/// without a Content-Type is read as JSON, as OpenAI's API does. So is a body sent compressed (a <c>Content-Encoding</c>
/// other than <c>identity</c>): the gateway reads bodies as they come, and would otherwise take the compressed bytes for
/// text and answer that they are not UTF-8.
/// </summary>
internal sealed class JsonContentTypeFilter : IEndpointFilter
{
    private const int MaxEchoedEncodingLength = 32;

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (!string.IsNullOrEmpty(request.ContentType) && !IsJson(request.ContentType))
        {
            return ValueTask.FromResult<object?>(NotJson());
        }

        if (Compressed(request) is { } encoding)
        {
            return ValueTask.FromResult<object?>(new OpenAiError(StatusCodes.Status415UnsupportedMediaType,
                $"The request body must be sent uncompressed: Content-Encoding '{encoding}' is not supported.", "invalid_request_error", code: "unsupported_media_type"));
        }

        return next(context);
    }

    /// <summary>
    /// The refusal of a body that is not JSON: this filter's, and routing's for an endpoint that declares the JSON it
    /// accepts (routing refuses another Content-Type before any filter runs).
    /// </summary>
    public static OpenAiError NotJson() => new(StatusCodes.Status415UnsupportedMediaType,
        "The request body must be JSON (Content-Type: application/json).", "invalid_request_error", code: "unsupported_media_type");

    /// <summary>The first content coding other than <c>identity</c> a request with a body declares (shortened), or null.</summary>
    private static string? Compressed(HttpRequest request)
    {
        if (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return null;
        }

        foreach (var value in request.Headers.ContentEncoding)
        {
            foreach (var coding in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    return coding.Length > MaxEchoedEncodingLength ? coding[..MaxEchoedEncodingLength] + "…" : coding;
                }
            }
        }

        return null;
    }

    private static bool IsJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
        && (!media.Charset.HasValue || media.Charset.Length == 0 || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
}
