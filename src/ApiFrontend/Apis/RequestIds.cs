namespace Gateway.ApiFrontend.Apis;

/// <summary>Gives every request an id, returned as <c>x-request-id</c> and used as the ledger key of its usage.</summary>
public static class RequestIds
{
    public const string Header = "x-request-id";
    private static readonly object ItemKey = new();

    public static string Of(HttpContext context) => (string)context.Items[ItemKey]!;

    /// <summary>
    /// Puts the request's id back on a response that was cleared (the exception handler clears the headers of a failed
    /// response before it answers).
    /// </summary>
    public static void Restore(HttpContext context)
    {
        if (context.Items[ItemKey] is string id)
        {
            context.Response.Headers[Header] = id;
        }
    }

    /// <summary>Assigns the id before anything else runs, so that every response, errors included, carries it.</summary>
    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var id = "req_" + Guid.NewGuid().ToString("N");
            context.Items[ItemKey] = id;
            context.Response.Headers[Header] = id;
            return next(context);
        });
}
