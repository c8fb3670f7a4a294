using System.Text;
using Microsoft.AspNetCore.Http;

namespace Gateway.Hosting;

/// <summary>
/// The dashboard's page at <c>/dashboard</c> itself. Orleans answers that path with a 301 to <c>/dashboard/</c>, and a
/// client following a redirect drops its <c>Authorization</c> header (.NET's <c>HttpClient</c> always does), so an
/// operator with a bearer key would land on a 401. The page is Orleans' own, with one script first in its head that
/// moves the address to <c>/dashboard/</c> without a request (<c>history.replaceState</c>): the page's relative URLs
/// (its script, styles, the API calls such as <c>DashboardCounters</c>) then resolve under <c>/dashboard/</c> as on
/// Orleans' own address, and its <c>#/…</c> links stay in the page. A <c>&lt;base href&gt;</c> would fix the first but
/// turn every <c>#/…</c> link into a load of another page.
/// </summary>
internal sealed class DashboardRootPage
{
    /// <summary>Where the Orleans.Dashboard package embeds its page (the name its own asset server looks up).</summary>
    private const string PageResource = "Orleans.Dashboard.wwwroot.index.html";

    private const string Head = "<head>";

    private const string MoveUnderSlash =
        """<script>if (!location.pathname.endsWith("/")) history.replaceState(history.state, "", location.pathname + "/" + location.search + location.hash);</script>""";

    private readonly byte[] _page;

    public DashboardRootPage()
    {
        using var stream = typeof(Orleans.Dashboard.DashboardOptions).Assembly.GetManifestResourceStream(PageResource)
            ?? throw new InvalidOperationException($"The Orleans dashboard package no longer embeds {PageResource}: DashboardRootPage needs revisiting.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var html = reader.ReadToEnd();
        var head = html.IndexOf(Head, StringComparison.OrdinalIgnoreCase);
        if (head < 0)
        {
            throw new InvalidOperationException($"The Orleans dashboard's page ({PageResource}) has no {Head}: DashboardRootPage needs revisiting.");
        }

        _page = Encoding.UTF8.GetBytes(html.Insert(head + Head.Length, MoveUnderSlash));
    }

    /// <summary>Only the exact path: <c>/dashboard/</c> and everything under it stay Orleans' own.</summary>
    public static bool Serves(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path.Value == GatewayDashboardExtensions.DashboardPath;

    public Task WriteAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = _page.Length;

        // As Orleans serves its page: never cached, so a new version of the package shows at once.
        response.Headers.CacheControl = "no-cache, no-store";
        return response.Body.WriteAsync(_page, context.RequestAborted).AsTask();
    }
}
