namespace Gateway.Catalog.Models;

/// <summary>
/// One deployment of a model (configuration <c>Gateway:Models:&lt;id&gt;:Deployments:&lt;i&gt;</c>): a provider account, the
/// model's name there, its share of the traffic and, optionally, its own capacity.
/// </summary>
public sealed class DeploymentDefinition
{
    /// <summary>A key of the <c>Providers</c> section: the account (base URL and key) that serves this deployment.</summary>
    public string Provider { get; set; } = "";

    /// <summary>The model's name at the provider; the catalog id when empty.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>Relative share of the traffic under weighted routing (default 1).</summary>
    public int Weight { get; set; } = 1;

    /// <summary>Requests per minute this deployment may take, across the whole cluster; unlimited when absent.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Tokens (worst case: prompt plus the most output) per minute, across the whole cluster; unlimited when absent.</summary>
    public long? TokensPerMinute { get; set; }

    /// <summary>Requests running at once, across the whole cluster; unlimited when absent.</summary>
    public int? MaxConcurrent { get; set; }
}
