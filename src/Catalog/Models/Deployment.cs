using Gateway.Grains.Abstractions.Routing;

namespace Gateway.Catalog.Models;

/// <summary>A deployment as routing uses it: <see cref="Id"/> is <c>&lt;model id&gt;#&lt;index&gt;</c>, stable while the configuration is.</summary>
public sealed record Deployment(string Id, string ModelId, string Provider, string UpstreamModel, int Weight, DeploymentLimits Limits)
{
    /// <summary>The upstream model name as a JSON string, written once into every request body sent to this deployment.</summary>
    public byte[] UpstreamModelJson { get; } = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(UpstreamModel);

    /// <summary>The catalog id as a JSON string, as answers served by this deployment carry it in their <c>model</c> member.</summary>
    public byte[] ModelIdJson { get; } = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(ModelId);
}
