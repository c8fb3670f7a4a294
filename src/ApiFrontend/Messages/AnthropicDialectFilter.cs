using Gateway.ApiFrontend.Apis;

namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// The outermost filter of endpoints both dialects share (the model list): a request that names an
/// <c>anthropic-version</c> is an Anthropic client's, so its version is checked as Anthropic checks it and every error the
/// inner filters and the endpoint answer in OpenAI's shape (a bad key, an unknown model) is turned into Anthropic's; any
/// other request is left to OpenAI's shape.
/// </summary>
internal sealed class AnthropicDialectFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!ModelsApi.IsAnthropicClient(context.HttpContext.Request))
        {
            return await next(context);
        }

        if (AnthropicVersions.Check(context.HttpContext.Request) is { } error)
        {
            return error;
        }

        return AnthropicError.FromResult(await next(context));
    }
}
