using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Chat;
using Gateway.ApiFrontend.Hosting;
using Gateway.ApiFrontend.Messages;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Abstractions.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.ApiFrontend.Apis;

/// <summary>
/// Anthropic's Messages API: <c>POST /v1/messages</c> translated into a chat completion, which is validated, counted and
/// admitted by the same pipeline (admission, limits, reservation, worker, settlement, ledger); the client's own body travels
/// with it, and a deployment of kind <c>anthropic</c> gets that body as it is (its answer relayed as it is), any other the
/// translation (its answer translated back); and
/// <c>POST /v1/messages/count_tokens</c>, counted with the tokenizer admission uses, never charged.
/// </summary>
public static class MessagesApi
{
    public static RouteGroupBuilder MapMessagesApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/messages", CreateMessage).WithName("CreateMessage")
            .Accepts<Contracts.CreateMessageRequest>("application/json")
            .Produces<Contracts.MessageResponse>(StatusCodes.Status200OK, "application/json")
            .WithEventStream<Contracts.MessageStreamEvent>("The message; with \"stream\": true, Anthropic's server-sent events from message_start to message_stop.")
            .WithAnthropicErrors(400, 401, 403, 404, 413, 415, 429, 500, 502, 503, 504, AnthropicError.Overloaded);
        v1.MapPost("/messages/count_tokens", CountTokens).WithName("CountMessageTokens")
            .Accepts<Contracts.CountMessageTokensRequest>("application/json")
            .Produces<Contracts.CountMessageTokensResponse>(StatusCodes.Status200OK, "application/json")
            .WithAnthropicErrors(400, 401, 403, 404, 413, 415, 429);
        return v1;
    }

    public static async Task<IResult> CreateMessage(HttpContext context, [AsParameters] ChatServices services)
    {
        context.Response.Headers["request-id"] = RequestIds.Of(context);
        var (request, bodies, error) = await ReadAsync(context, services.Catalog, services.Options.Value, forCounting: false);
        if (request is null)
        {
            return error!;
        }

        request = request with { Native = Native(context.Request, bodies.Native, bodies.NativeOnly) };

        // The stream's message_delta carries the usage: the worker passes the provider's usage chunk on.
        // The response cache keys on the client's own body and headers: what a native provider gets (cache_control, server
        // tools, anthropic-version and -beta, ...) is part of the question, which the translation leaves out.
        return await ChatPipeline.ServeAsync(context, request with { ClientWantsUsage = true }, bodies.Native, AnthropicDialect.Instance, services);
    }

    public static async Task<IResult> CountTokens(HttpContext context, ModelCatalog catalog, IOptions<FrontendOptions> options, IGrainFactory grains)
    {
        context.Response.Headers["request-id"] = RequestIds.Of(context);
        var (request, _, error) = await ReadAsync(context, catalog, options.Value, forCounting: true);
        if (request is null)
        {
            return error!;
        }

        // A count reserves nothing, but it answers only for the models the tenant may use, as a message would, and no more
        // often per minute than the tenant may send requests (a bucket of its own): it costs a tokenization.
        var admission = await grains.GetGrain<ITenantGrain>(TenantIdentity.Of(context).TenantId).AdmitCountAsync(request.ModelId);
        if (!admission.IsAdmitted)
        {
            return AnthropicError.From(AdmissionErrors.ForCount(admission, request.ModelId));
        }

        long tokens = request.PromptTokens;
        if (request.PromptIsUpperBound)
        {
            // Nothing is reserved for a count, so no tenant limit bounds it: the body's size limit does, and the client leaving.
            using var document = JsonDocument.Parse(request.UpstreamBody);
            tokens = ChatRequestParser.CountPrompt(document.RootElement, long.MaxValue, context.RequestAborted) + request.NativeOnlyTokens;
        }

        return TypedResults.Json(new Contracts.CountMessageTokensResponse(tokens), Contracts.GatewayJsonContext.Default.CountMessageTokensResponse);
    }

    /// <summary>
    /// The client's body as an Anthropic provider gets it: as it came, with its <c>anthropic-version</c> (its body is written
    /// for that version, which decides, say, whether <c>temperature</c> is allowed), its <c>anthropic-beta</c> values, and to
    /// the beta endpoint (<c>?beta=true</c>) when the client called that.
    /// </summary>
    private static NativeRequest Native(HttpRequest request, ReadOnlyMemory<byte> body, string? untranslatable)
    {
        var beta = request.Headers[AnthropicBeta];
        // The body read is an array of its own: it travels without another copy.
        var bytes = MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : body.ToArray();
        return new NativeRequest(IngressDialect.AnthropicMessages, bytes, request.Headers[AnthropicVersions.Header].ToString().Trim(),
            beta.Count == 0 ? null : string.Join(',', beta.Where(static value => !string.IsNullOrWhiteSpace(value))) is { Length: > 0 } joined ? joined : null,
            untranslatable, BetaEndpoint: IsBetaEndpoint(request));
    }

    private const string AnthropicBeta = "anthropic-beta";

    /// <summary>Whether the client called <c>?beta=true</c>, as the Anthropic SDKs' beta clients do.</summary>
    private static bool IsBetaEndpoint(HttpRequest request) =>
        request.Query.TryGetValue("beta", out var beta) && string.Equals(beta.ToString(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The body read, translated, and validated as the chat completion it becomes; or the error in Anthropic's shape.</summary>
    private static async Task<(ChatRequest? Request, (byte[] Chat, ReadOnlyMemory<byte> Native, string? NativeOnly) Body, IResult? Error)> ReadAsync(
        HttpContext context, ModelCatalog catalog, FrontendOptions options, bool forCounting)
    {
        var body = await RequestBody.ReadAsync(context.Request, options.MaxRequestBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return (null, default, new AnthropicError(StatusCodes.Status413RequestEntityTooLarge, "request_too_large",
                $"The request body is larger than the limit of {options.MaxRequestBodyBytes} bytes."));
        }

        var version = context.Request.Headers[AnthropicVersions.Header].ToString().Trim();
        var translated = MessagesRequestTranslator.Translate(body.Value, version, forCounting, out var invalid);
        if (translated is null)
        {
            return (null, default, invalid);
        }

        var request = ChatRequestParser.Parse(translated.ChatBody, catalog, out var error);
        if (request is null)
        {
            return (null, default, AnthropicError.From(error!));
        }

        // Parts the translation lacks are counted too, so the reservation (and a count) covers the whole request.
        var nativeOnly = (int)Math.Min(int.MaxValue, translated.NativeOnlyTokens);
        request = request with { PromptTokens = (int)Math.Min(int.MaxValue, (long)request.PromptTokens + nativeOnly), NativeOnlyTokens = nativeOnly };
        return (request, (translated.ChatBody, body.Value, translated.NativeOnly), null);
    }
}
