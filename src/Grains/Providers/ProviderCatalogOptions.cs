namespace Gateway.Grains.Providers;

/// <summary>
/// The providers (configuration section <c>Providers</c>). A provider missing from configuration keeps its
/// public address from <see cref="Defaults"/> and its wire format from <see cref="DefaultKinds"/>; its key must still be
/// configured. Any other name is a server of its configured <c>Kind</c> (OpenAI-compatible when absent) at its configured
/// <c>BaseUrl</c>: several accounts of one provider are several names.
/// </summary>
public sealed class ProviderCatalogOptions
{
    public const string Section = "Providers";

    public Dictionary<string, ProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The public address of each built-in provider, for its kind (<see cref="DefaultKinds"/>).</summary>
    public static IReadOnlyDictionary<string, Uri> Defaults { get; } = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase)
    {
        ["openai"] = new("https://api.openai.com/v1"),
        ["anthropic"] = new("https://api.anthropic.com"),
        ["gemini"] = new("https://generativelanguage.googleapis.com"),
        ["deepseek"] = new("https://api.deepseek.com/v1"),
    };

    /// <summary>The built-in providers that do not speak OpenAI's API (absent here: <c>openai</c>).</summary>
    public static IReadOnlyDictionary<string, string> DefaultKinds { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["anthropic"] = ProviderKinds.Anthropic,
        ["gemini"] = ProviderKinds.Gemini,
    };

    /// <summary>The wire format of provider <paramref name="name"/>: its configured <c>Kind</c>, else its built-in one, else <c>openai</c>.</summary>
    public static string KindOf(string name, ProviderOptions options) =>
        options.Kind is { } kind ? ProviderKinds.Normalize(kind) ?? kind
        : DefaultKinds.TryGetValue(name, out var builtIn) ? builtIn
        : ProviderKinds.OpenAi;

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
