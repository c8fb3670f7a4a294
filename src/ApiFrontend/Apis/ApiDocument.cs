using System.ComponentModel.DataAnnotations;
using Gateway.ApiFrontend.Contracts;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Gateway.ApiFrontend.Apis;

/// <summary>
/// The OpenAPI document of the gateway's HTTP API (<c>/openapi/v1.json</c>): every <c>/v1</c> and <c>/admin</c> endpoint
/// with its responses and error statuses, errors in OpenAI's error JSON (Anthropic's on <c>/v1/messages</c>); the Orleans dashboard's routes are left out.
/// </summary>
public static class ApiDocument
{
    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer(Trim);

        // A [Required] request field is a value, not null ("id": null is refused like an absent id): its type loses
        // the null that its Optional<string?> carrier would give it.
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonPropertyInfo?.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) == true && schema.Type is { } type)
            {
                schema.Type = type & ~JsonSchemaType.Null;
            }

            return Task.CompletedTask;
        });
    }

    private static Task Trim(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var path in document.Paths.Keys.Where(p => !p.StartsWith("/v1/", StringComparison.Ordinal) && !p.StartsWith("/admin/", StringComparison.Ordinal)).ToList())
        {
            document.Paths.Remove(path);
        }

        document.Info.Title = "LLM gateway API";
        document.Info.Description = "OpenAI-compatible tenant API (/v1), Anthropic's Messages API (/v1/messages) and the operator's admin API (/admin).";
        return Task.CompletedTask;
    }

    /// <summary>
    /// Declares that the endpoint's 200 may also be a stream of server-sent events whose data are <typeparamref name="TEvent"/>
    /// (beside the JSON answer declared with <c>Produces</c>: the API explorer keeps one type per status).
    /// </summary>
    public static RouteHandlerBuilder WithEventStream<TEvent>(this RouteHandlerBuilder builder, string description) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            if (operation.Responses?.GetValueOrDefault("200") is OpenApiResponse ok)
            {
                ok.Description = description;
                ok.Content ??= new Dictionary<string, OpenApiMediaType>();
                var name = typeof(TEvent).Name;
                if (context.Document is { } document)
                {
                    document.AddComponent(name, await context.GetOrCreateSchemaAsync(typeof(TEvent), null, cancellationToken));
                    ok.Content["text/event-stream"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(name, document) };
                }
            }
        });

    /// <summary>Declares the error statuses an endpoint answers, each with <see cref="ErrorResponse"/>.</summary>
    public static RouteHandlerBuilder WithErrors(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.Produces<ErrorResponse>(status);
        }

        return builder;
    }

    /// <summary>Declares the error statuses an Anthropic endpoint answers, each with <see cref="AnthropicErrorResponse"/>.</summary>
    public static RouteHandlerBuilder WithAnthropicErrors(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.Produces<AnthropicErrorResponse>(status);
        }

        return builder;
    }
}
