using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Errors;

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

    public static async Task<IResult> CreateChatCompletion(HttpContext context, [AsParameters] ChatServices services)
    {
        var options = services.Options.Value;
        var body = await RequestBody.ReadAsync(context.Request, options.MaxRequestBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return new OpenAiError(StatusCodes.Status413RequestEntityTooLarge,
                $"The request body is larger than the limit of {options.MaxRequestBodyBytes} bytes.",
                "invalid_request_error", code: "request_too_large");
        }

        var request = ChatRequestParser.Parse(body.Value, services.Catalog, out var error);
        if (request is null)
        {
            return error!;
        }

        return await ChatPipeline.ServeAsync(context, request, body.Value, OpenAiChatDialect.Instance, services);
    }
}
