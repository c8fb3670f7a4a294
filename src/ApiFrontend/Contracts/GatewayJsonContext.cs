using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>Source-generated JSON for every response body the frontend writes itself.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TenantResponse))]
[JsonSerializable(typeof(UsageResponse))]
[JsonSerializable(typeof(CreatedKeyResponse))]
[JsonSerializable(typeof(ModelListResponse))]
[JsonSerializable(typeof(LedgerPageResponse))]
[JsonSerializable(typeof(DeploymentListResponse))]
public sealed partial class GatewayJsonContext : JsonSerializerContext;
