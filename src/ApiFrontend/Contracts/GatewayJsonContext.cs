using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// Source-generated JSON for every body the frontend reads or writes itself, and for the shapes of the chat completion
/// bodies it relays (which the API document describes). Request bodies are read through <see cref="Resolver"/>, which
/// binds their <see cref="Optional{T}"/> fields.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TenantResponse))]
[JsonSerializable(typeof(UsageResponse))]
[JsonSerializable(typeof(CreatedKeyResponse))]
[JsonSerializable(typeof(ModelListResponse))]
[JsonSerializable(typeof(AnthropicModelListResponse))]
[JsonSerializable(typeof(ModelResponse))]
[JsonSerializable(typeof(AnthropicModelResponse))]
[JsonSerializable(typeof(LedgerPageResponse))]
[JsonSerializable(typeof(DeploymentListResponse))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(UpdateTenantRequest))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(CreateMessageRequest))]
[JsonSerializable(typeof(CountMessageTokensRequest))]
[JsonSerializable(typeof(CountMessageTokensResponse))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(MessageStreamEvent))]
[JsonSerializable(typeof(AnthropicErrorResponse))]
public sealed partial class GatewayJsonContext : JsonSerializerContext
{
    /// <summary>This context with <see cref="Optional{T}"/> fields bound (<see cref="OptionalFields"/>).</summary>
    // Lazy: the generated Default is initialized in another part of this class, in an order C# does not define.
    public static IJsonTypeInfoResolver Resolver => field ??= OptionalFields.Bind(Default);
}
