using Microsoft.AspNetCore.Diagnostics;

namespace Gateway.ApiFrontend.Errors;

/// <summary>
/// The last line: an exception no handler expected still answers in OpenAI's error shape, without its details
/// (which may hold prompt text); the cluster being unreachable is a 503 the client may retry.
/// </summary>
public static partial class UnhandledErrors
{
    public static IApplicationBuilder UseOpenAiErrorsForExceptions(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = async context =>
            {
                var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.ApiFrontend.Errors");
                LogUnhandled(logger, exception?.GetType().Name ?? "unknown", context.Request.Path);
                var unavailable = exception is TimeoutException or OrleansException;
                var error = unavailable
                    ? new OpenAiError(StatusCodes.Status503ServiceUnavailable, "The gateway is temporarily unavailable. Please retry.",
                        "server_error", code: "gateway_unavailable", retryAfter: TimeSpan.FromSeconds(1))
                    : new OpenAiError(StatusCodes.Status500InternalServerError, "The gateway failed to process the request.",
                        "server_error", code: "internal_error");
                await error.ExecuteAsync(context);
            },
        });

    // Only the exception's type: its message may quote the request.
    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled {ExceptionType} on {Path}")]
    private static partial void LogUnhandled(ILogger logger, string exceptionType, string path);
}
