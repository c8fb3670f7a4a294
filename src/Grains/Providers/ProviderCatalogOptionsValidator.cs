using Microsoft.Extensions.Options;

namespace Gateway.Grains.Providers;

/// <summary>Refuses to start with a provider that cannot be called, naming the setting to fix.</summary>
internal sealed class ProviderCatalogOptionsValidator : IValidateOptions<ProviderCatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, ProviderCatalogOptions options)
    {
        var failures = new List<string>();
        foreach (var (provider, p) in options.Providers)
        {
            var at = $"{ProviderCatalogOptions.Section}:{provider}";
            if (p.Kind is { } kind && !string.Equals(kind, ProviderKinds.OpenAi, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{at}:Kind is '{kind}': only '{ProviderKinds.OpenAi}' (OpenAI-compatible, the default) is supported; remove it or set it to '{ProviderKinds.OpenAi}'.");
            }

            if (p.BaseUrl is null && !ProviderCatalogOptions.Defaults.ContainsKey(provider))
            {
                failures.Add($"{at}:BaseUrl is required for a provider that is not one of {string.Join(", ", ProviderCatalogOptions.Defaults.Keys)}.");
            }

            if (p.BaseUrl is { IsAbsoluteUri: false } or { Scheme: not ("http" or "https") })
            {
                failures.Add($"{at}:BaseUrl must be an absolute http or https address (…/v1).");
            }

            foreach (var (setting, value) in new[] { ("ConnectTimeout", p.ConnectTimeout), ("FirstByteTimeout", p.FirstByteTimeout), ("IdleTimeout", p.IdleTimeout), ("Timeout", p.Timeout) })
            {
                if (value <= TimeSpan.Zero) failures.Add($"{at}:{setting} must be positive (a TimeSpan such as 00:00:30).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
