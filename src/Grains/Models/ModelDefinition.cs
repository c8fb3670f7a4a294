namespace Gateway.Grains.Models;

/// <summary>One model of the catalog (configuration <c>Gateway:Models:&lt;id&gt;</c>).</summary>
public sealed class ModelDefinition
{
    /// <summary>The provider that serves it: a key of the <c>Providers</c> configuration section.</summary>
    public string Provider { get; set; } = "";

    /// <summary>The model's name at the provider; the catalog id when empty.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>US dollars per one million input tokens (equal to micro-dollars per token).</summary>
    public decimal InputPricePerMillionUsd { get; set; }

    /// <summary>US dollars per one million output tokens.</summary>
    public decimal OutputPricePerMillionUsd { get; set; }

    /// <summary>The most output tokens one completion may produce; reserved when a request sets no limit.</summary>
    public int MaxOutputTokens { get; set; } = 4096;

    /// <summary>Other names clients may use for this model.</summary>
    public List<string> Aliases { get; set; } = [];
}
