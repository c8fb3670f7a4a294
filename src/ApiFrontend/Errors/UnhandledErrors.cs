using Microsoft.AspNetCore.Diagnostics;

namespace Gateway.ApiFrontend.Errors;

/// <summary>
/// The last line: an exception no handler expected still answers in OpenAI's error shape (Anthropic's on its endpoints), without its details
/// (which may hold prompt text); the cluster being unreachable is a 503 the client may retry; a request Kestrel
/// found malformed while the body was read (a bad chunk, a body over the server's limit, too slow) keeps the 4xx
/// Kestrel gave it.
/// </summary>
public static partial class UnhandledErrors
{
    public static IApplicationBuilder UseOpenAiErrorsForExceptions(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // The middleware's own log line carries the exception's message, which can quote request bytes
            // ("Unable to translate bytes [FF] ..."): only the line below, with the type, is written.
            SuppressDiagnosticsCallback = static _ => true,
            ExceptionHandler = async context =>
            {
                // The middleware cleared the response, headers included: the answer still names its request.
                Apis.RequestIds.Restore(context);
                var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                if (context.RequestAborted.IsCancellationRequested && exception is OperationCanceledException)
                {
                    // The client left (a long prompt being counted, an admission under way): nobody reads an answer.
                    return;
                }

                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.ApiFrontend.Errors");
                if (exception is BadHttpRequestException { StatusCode: >= 400 and < 500 } bad)
                {
                    LogBadRequest(logger, bad.StatusCode, context.Request.Path);
                    await Render(context, For(bad.StatusCode));
                    return;
                }

                if (exception is IOException)
                {
                    // Only the request body is read from a stream on this side of the grains: Kestrel reports some framing
                    // errors (a chunk size that overflows) as an IOException rather than a BadHttpRequestException.
                    LogBadRequest(logger, StatusCodes.Status400BadRequest, context.Request.Path);
                    await Render(context, For(StatusCodes.Status400BadRequest));
                    return;
                }

                LogUnhandled(logger, exception?.GetType().Name ?? "unknown", context.Request.Path);
                var unavailable = exception is TimeoutException or OrleansException;
                var error = unavailable
                    ? new OpenAiError(StatusCodes.Status503ServiceUnavailable, "The gateway is temporarily unavailable. Please retry.",
                        "server_error", code: "gateway_unavailable", retryAfter: TimeSpan.FromSeconds(1))
                    : new OpenAiError(StatusCodes.Status500InternalServerError, "The gateway failed to process the request.",
                        "server_error", code: "internal_error");
                await Render(context, error);
            },
        });

    /// <summary>
    /// An error in the shape of the endpoint's dialect: Anthropic's on the Anthropic endpoints and to an Anthropic client of
    /// the model list, OpenAI's elsewhere.
    /// </summary>
    public static Task Render(HttpContext context, OpenAiError error) =>
        IsAnthropics(context.Request) ? Messages.AnthropicError.From(error).ExecuteAsync(context) : error.ExecuteAsync(context);

    private static bool IsAnthropics(HttpRequest request) =>
        Messages.AnthropicErrorsFilter.Owns(request.Path)
        || request.Path.StartsWithSegments("/v1/models", StringComparison.OrdinalIgnoreCase) && Apis.ModelsApi.IsAnthropicClient(request);

    private static OpenAiError For(int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => new OpenAiError(status, "The request body is larger than the server accepts.",
            "invalid_request_error", code: "request_too_large"),
        StatusCodes.Status408RequestTimeout => new OpenAiError(status, "The request body arrived too slowly.", "invalid_request_error", code: "request_timeout"),
        _ => new OpenAiError(status, "The request is malformed at the HTTP level.", "invalid_request_error", code: "bad_http_request"),
    };

    // Only the exception's type: its message may quote the request.
    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled {ExceptionType} on {Path}")]
    private static partial void LogUnhandled(ILogger logger, string exceptionType, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Malformed request on {Path}: {StatusCode}")]
    private static partial void LogBadRequest(ILogger logger, int statusCode, string path);
}
