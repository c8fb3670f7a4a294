
namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// The outermost filter of the Anthropic endpoints: refuses a request without an accepted <c>anthropic-version</c>, and
/// turns every error the inner filters and the chat pipeline answer in OpenAI's shape (a bad key, a refused admission, a
/// failed provider) into Anthropic's, so the one place each refusal is decided serves both dialects.
/// </summary>
internal sealed class AnthropicErrorsFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (AnthropicVersions.Check(context.HttpContext.Request) is { } error)
        {
            return error;
        }

        return AnthropicError.FromResult(await next(context));
    }

    /// <summary>Whether a path is one of the Anthropic endpoints' (whose errors, even unexpected ones, are Anthropic's).</summary>
    public static bool Owns(PathString path) => path.StartsWithSegments("/v1/messages", StringComparison.OrdinalIgnoreCase);
}
