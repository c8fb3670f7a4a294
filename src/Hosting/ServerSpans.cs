using System.Diagnostics;
using Gateway.Catalog.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Hosting;

/// <summary>
/// The HTTP server span of a recorded request: the span ASP.NET Core's hosting starts for every request (source
/// <c>Microsoft.AspNetCore</c>), given the attributes of OpenTelemetry's HTTP server conventions here, in place of
/// OpenTelemetry's ASP.NET Core instrumentation. That instrumentation subscribes to the hosting's diagnostic events,
/// which then writes two of them for every request, sampled or not, and asks ASP.NET Core to build the span's attributes
/// before the sampler has decided (a tag list boxed with its enumerator, the path concatenated): work thrown away for
/// every request a head sampler leaves out. Here a request whose span is not recorded costs one check.
/// <list type="bullet">
/// <item>At the start: <c>http.request.method</c> (<c>_OTHER</c> and <c>http.request.method_original</c> for a method
/// outside HTTP's own), <c>url.scheme</c>, <c>url.path</c>, <c>server.address</c>, <c>server.port</c>,
/// <c>network.protocol.version</c>, <c>user_agent.original</c>; never the query (the gateway's API has none it reads).</item>
/// <item>At the end: <c>http.route</c> and the span's name (<c>POST /v1/chat/completions</c>),
/// <c>http.response.status_code</c>; a 5xx answer or an exception that left the pipeline sets <c>error.type</c> (the
/// status code, or the exception's type) and the span's status to error, as the conventions ask of a server span.</item>
/// <item>Operational requests (<c>/metrics</c>, <c>/health/*</c>), which a scraper and the kubelet send every few
/// seconds, are not recorded.</item>
/// </list>
/// </summary>
internal static class ServerSpans
{
    private const string OtherMethod = "_OTHER";
    private const string RequestMethod = "http.request.method";

    /// <summary>Tags the recorded server spans of the requests that reach the rest of the pipeline.</summary>
    public static IApplicationBuilder UseServerSpans(this IApplicationBuilder app, Func<PathString, bool> untraced) =>
        app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpActivityFeature>()?.Activity is not { Recorded: true, IsAllDataRequested: true } span)
            {
                return next(context);
            }

            if (untraced(context.Request.Path))
            {
                span.IsAllDataRequested = false;
                span.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                return next(context);
            }

            return WithinSpanAsync(context, next, span, TagRequest(span, context.Request));
        });

    private static async Task WithinSpanAsync(HttpContext context, RequestDelegate next, Activity span, string method)
    {
        try
        {
            await next(context);
        }
        catch (Exception e)
        {
            TagResponse(span, context, method, e);
            throw;
        }

        TagResponse(span, context, method, null);
    }

    /// <summary>Tags the request's attributes: the method as the span's name takes it (<c>_OTHER</c> for an unknown one).</summary>
    private static string TagRequest(Activity span, HttpRequest request)
    {
        var method = HttpMethods.GetCanonicalizedValue(request.Method);
        if (!IsKnown(method))
        {
            span.SetTag("http.request.method_original", request.Method);
            method = OtherMethod;
        }

        span.SetTag(RequestMethod, method);

        span.SetTag("url.scheme", request.Scheme);
        span.SetTag("url.path", request.PathBase.HasValue ? (request.PathBase + request.Path).ToString() : request.Path.Value is { Length: > 0 } path ? path : "/");
        if (request.Host.HasValue)
        {
            span.SetTag("server.address", request.Host.Host);
            span.SetTag("server.port", request.Host.Port ?? (request.IsHttps ? 443 : 80));
        }

        span.SetTag("network.protocol.version", ProtocolVersion(request.Protocol));
        if (request.Headers.UserAgent is { Count: > 0 } agent && !string.IsNullOrEmpty(agent[0]))
        {
            span.SetTag("user_agent.original", agent[0]);
        }

        return method;
    }

    private static void TagResponse(Activity span, HttpContext context, string method, Exception? exception)
    {
        if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route })
        {
            span.SetTag("http.route", route);
            span.DisplayName = method == OtherMethod ? "HTTP " + route : method + " " + route;
        }
        else
        {
            span.DisplayName = method == OtherMethod ? "HTTP" : method;
        }

        // An exception that left the pipeline is answered 500 by the server if nothing was sent yet.
        var status = exception is not null && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
        span.SetTag("http.response.status_code", status);
        if (exception is not null || status >= StatusCodes.Status500InternalServerError)
        {
            span.SetTag(TelemetryNames.ErrorType, exception?.GetType().FullName ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            span.SetStatus(ActivityStatusCode.Error);
        }
    }

    private static bool IsKnown(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method)
        || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsPatch(method) || HttpMethods.IsTrace(method)
        || HttpMethods.IsConnect(method);

    private static string ProtocolVersion(string protocol) => protocol switch
    {
        "HTTP/1.1" => "1.1",
        "HTTP/2" => "2",
        "HTTP/3" => "3",
        "HTTP/1.0" => "1.0",
        _ => protocol.StartsWith("HTTP/", StringComparison.Ordinal) ? protocol[5..] : protocol,
    };
}
