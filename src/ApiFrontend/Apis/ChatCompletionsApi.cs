using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Errors;
using Gateway.ApiFrontend.Hosting;
using Gateway.ApiFrontend.Cluster;
using Gateway.Catalog;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.ApiFrontend.Apis;

/// <summary><c>POST /v1/chat/completions</c>: authenticate, validate, admit (reserve), call upstream through a grain, answer.</summary>
public static class ChatCompletionsApi
{
    public static RouteGroupBuilder MapChatCompletionsApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", CreateChatCompletion).WithName("CreateChatCompletion")
            .Accepts<Contracts.ChatCompletionRequest>("application/json")
            .Produces<Contracts.ChatCompletionResponse>(StatusCodes.Status200OK, "application/json")
            .WithEventStream<Contracts.ChatCompletionChunk>("The completion; with \"stream\": true, its chunks as server-sent events, then 'data: [DONE]'.")
            .WithErrors(400, 401, 403, 404, 413, 415, 429, 502, 503, 504);
        return v1;
    }

    public static async Task<IResult> CreateChatCompletion(
        HttpContext context,
        IGrainFactory grains,
        GrainReferences references,
        ModelCatalog catalog,
        UpstreamCallWatch watch,
        IdempotentCalls idempotent,
        LostCallReleases lostReleases,
        IOptions<FrontendOptions> options,
        [FromKeyedServices(GatewayClock.Key)] TimeProvider time)
    {
        var body = await RequestBody.ReadAsync(context.Request, options.Value.MaxRequestBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return new OpenAiError(StatusCodes.Status413RequestEntityTooLarge,
                $"The request body is larger than the limit of {options.Value.MaxRequestBodyBytes} bytes.",
                "invalid_request_error", code: "request_too_large");
        }

        var request = ChatRequestParser.Parse(body.Value, catalog, out var error);
        if (request is null)
        {
            return error!;
        }

        return await ChatPipeline.ServeAsync(context, request, body.Value, OpenAiChatDialect.Instance,
            new ChatServices(grains, references, watch, idempotent, lostReleases, options.Value, time));
    }

    /// <summary>The services the chat pipeline draws on, as the endpoints of every dialect are given them.</summary>
    internal sealed record ChatServices(
        IGrainFactory Grains, GrainReferences References, UpstreamCallWatch Watch, IdempotentCalls Idempotent, LostCallReleases LostReleases,
        FrontendOptions Options, TimeProvider Time);
}
