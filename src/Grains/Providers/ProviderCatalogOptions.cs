namespace Gateway.Grains.Providers;

/// <summary>
/// The providers (configuration section <c>Providers</c>). A provider missing from configuration keeps its
/// public address from <see cref="Defaults"/>; its key must still be configured. Any other name is an
/// OpenAI-compatible server at its configured <c>BaseUrl</c>: several accounts of one provider are several names.
/// </summary>
public sealed class ProviderCatalogOptions
{
    public const string Section = "Providers";

    public Dictionary<string, ProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every provider here speaks the OpenAI chat completions API at this address.</summary>
    public static IReadOnlyDictionary<string, Uri> Defaults { get; } = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase)
    {
        ["openai"] = new("https://api.openai.com/v1"),
        ["anthropic"] = new("https://api.anthropic.com/v1"),
        ["gemini"] = new("https://generativelanguage.googleapis.com/v1beta/openai"),
        ["deepseek"] = new("https://api.deepseek.com/v1"),
    };

    public bool TryGet(string name, out ProviderOptions options)
    {
        if (Providers.TryGetValue(name, out options!) && options.BaseUrl is not null)
        {
            return true;
        }

        if (Defaults.TryGetValue(name, out var url))
        {
            var configured = options;
            options = configured ?? new ProviderOptions();
            options.BaseUrl = url;
            return true;
        }

        return false;
    }
}
