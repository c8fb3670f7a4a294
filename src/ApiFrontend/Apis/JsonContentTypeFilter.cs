using Gateway.ApiFrontend.Errors;
using Microsoft.Net.Http.Headers;

namespace Gateway.ApiFrontend.Apis;

/// <summary>
/// A request that says its body is something other than JSON is refused with 415 before the body is read. A body
/// without a Content-Type is read as JSON, as OpenAI's API does.
/// </summary>
internal sealed class JsonContentTypeFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (string.IsNullOrEmpty(request.ContentType) || IsJson(request.ContentType))
        {
            return next(context);
        }

        return ValueTask.FromResult<object?>(NotJson());
    }

    /// <summary>
    /// The refusal of a body that is not JSON: this filter's, and routing's for an endpoint that declares the JSON it
    /// accepts (routing refuses another Content-Type before any filter runs).
    /// </summary>
    public static OpenAiError NotJson() => new(StatusCodes.Status415UnsupportedMediaType,
        "The request body must be JSON (Content-Type: application/json).", "invalid_request_error", code: "unsupported_media_type");

    private static bool IsJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
        && (!media.Charset.HasValue || media.Charset.Length == 0 || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
}
