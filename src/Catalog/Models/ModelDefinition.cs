namespace Gateway.Catalog.Models;

/// <summary>One model of the catalog (configuration <c>Gateway:Models:&lt;id&gt;</c>).</summary>
public sealed class ModelDefinition
{
    /// <summary>
    /// The provider that serves it, for a model with a single deployment: a key of the <c>Providers</c> section.
    /// Leave it out when <see cref="Deployments"/> are given (both set is a configuration error).
    /// </summary>
    public string Provider { get; set; } = "";

    /// <summary>The model's name at the provider; the catalog id when empty. With <see cref="Provider"/> only.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>The deployments that serve it; when empty, the one given by <see cref="Provider"/> and <see cref="UpstreamModel"/>.</summary>
    public List<DeploymentDefinition> Deployments { get; set; } = [];

    /// <summary>How a request picks a deployment: <c>weighted</c> (default) or <c>least-latency</c>.</summary>
    public string Routing { get; set; } = RoutingModes.Weighted;

    /// <summary>Catalog ids of the models that serve, in order, when every deployment of this one has failed or is open.</summary>
    public List<string> Fallbacks { get; set; } = [];

    /// <summary>US dollars per one million input tokens (equal to micro-dollars per token).</summary>
    public decimal InputPricePerMillionUsd { get; set; }

    /// <summary>
    /// US dollars per one million input tokens read from the provider's prompt cache. When absent: a tenth of the input
    /// price for a model every deployment of which is served by a provider of kind <c>anthropic</c> (Anthropic's list
    /// price for cache reads), else the input price.
    /// </summary>
    public decimal? CacheReadPricePerMillionUsd { get; set; }

    /// <summary>
    /// US dollars per one million input tokens written to the provider's prompt cache (Anthropic's five-minute writes, its
    /// default). When absent: 1.25 times the input price for a model served only by providers of kind <c>anthropic</c>,
    /// else the input price.
    /// </summary>
    public decimal? CacheWritePricePerMillionUsd { get; set; }

    /// <summary>
    /// US dollars per one million input tokens written to the provider's prompt cache to be kept an hour (Anthropic's
    /// <c>ttl: "1h"</c>). When absent: twice the input price for a model served only by providers of kind <c>anthropic</c>
    /// (Anthropic's list price), else <see cref="CacheWritePricePerMillionUsd"/> (no other provider reports such writes).
    /// </summary>
    public decimal? CacheWrite1hPricePerMillionUsd { get; set; }

    /// <summary>US dollars per one million output tokens (reasoning tokens included: they are output).</summary>
    public decimal OutputPricePerMillionUsd { get; set; }

    /// <summary>The most output tokens one completion may produce; reserved when a request sets no limit.</summary>
    public int MaxOutputTokens { get; set; } = 4096;

    /// <summary>Other names clients may use for this model.</summary>
    public List<string> Aliases { get; set; } = [];
}
