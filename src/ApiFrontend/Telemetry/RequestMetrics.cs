using System.Diagnostics;
using Gateway.Catalog.Telemetry;

namespace Gateway.ApiFrontend.Telemetry;

/// <summary>
/// How each tenant API request ended (<c>gateway.requests</c>: served, refused, failed or cancelled, with the error's
/// code), and the time the gateway added to a served one (<c>gateway.added_time</c>), measured from the moment the
/// request reached the pipeline.
/// </summary>
public static class RequestMetrics
{
    private static readonly object StartKey = new();
    private static readonly object ErrorKey = new();

    /// <summary>Times and counts the requests under <c>/v1</c>; the rest (admin, health, metrics) are not tenant traffic.</summary>
    public static IApplicationBuilder UseRequestMetrics(this IApplicationBuilder app) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/v1"), branch => branch.Use(async (context, next) =>
        {
            context.Items[StartKey] = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                FrontendMetrics.RecordRequest(Api(context), Outcome(context), context.Items[ErrorKey] as string);
            }
        }));

    /// <summary>Notes the code of the error a request is answered with.</summary>
    public static void NoteError(HttpContext context, string code) => context.Items[ErrorKey] = code;

    /// <summary>The answer (or a stream's first chunk) is ready: the time since the request arrived, less the providers'.</summary>
    public static void RecordAddedTime(HttpContext context, TimeSpan providerTime, bool stream)
    {
        if (context.Items[StartKey] is long start)
        {
            FrontendMetrics.RecordAddedTime(Stopwatch.GetElapsedTime(start), providerTime, stream);
        }
    }

    private static string Api(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint endpoint ? endpoint.RoutePattern.RawText ?? "unmatched" : "unmatched";

    private static string Outcome(HttpContext context) => context.Response.StatusCode switch
    {
        _ when context.RequestAborted.IsCancellationRequested => "cancelled",
        < 400 => "served",
        < 500 => "refused",
        _ => "failed",
    };
}
