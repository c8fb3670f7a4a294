using Gateway.Grains.Providers.Anthropic;
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
            if (p.Kind is { } kind && ProviderKinds.Normalize(kind) is null)
            {
                failures.Add($"{at}:Kind is '{kind}': set it to one of {string.Join(", ", ProviderKinds.All)} ('{ProviderKinds.OpenAi}', OpenAI-compatible, when absent).");
            }

            var resolved = ProviderCatalogOptions.KindOf(provider, p);
            var anthropic = resolved == ProviderKinds.Anthropic;
            if (anthropic && !AnthropicApiVersions.All.Contains(p.AnthropicVersion, StringComparer.Ordinal))
            {
                failures.Add($"{at}:AnthropicVersion is '{p.AnthropicVersion}': set it to one of {string.Join(", ", AnthropicApiVersions.All)} (default {AnthropicApiVersions.V20230601}).");
            }

            if (p.BaseUrl is null && !ProviderCatalogOptions.Defaults.ContainsKey(provider))
            {
                failures.Add($"{at}:BaseUrl is required for a provider that is not one of {string.Join(", ", ProviderCatalogOptions.Defaults.Keys)}.");
            }

            if (p.BaseUrl is { IsAbsoluteUri: false } or { Scheme: not ("http" or "https") })
            {
                failures.Add(anthropic
                    ? $"{at}:BaseUrl must be an absolute http or https address: the host root for kind '{ProviderKinds.Anthropic}' (the gateway calls …/v1/messages)."
                    : resolved == ProviderKinds.Gemini
                    ? $"{at}:BaseUrl must be an absolute http or https address: the host root for kind '{ProviderKinds.Gemini}' (the gateway calls …/v1beta/models/{{model}}:generateContent)."
                    : $"{at}:BaseUrl must be an absolute http or https address (…/v1).");
            }

            foreach (var (setting, value) in new[] { ("ConnectTimeout", p.ConnectTimeout), ("FirstByteTimeout", p.FirstByteTimeout), ("IdleTimeout", p.IdleTimeout), ("Timeout", p.Timeout) })
            {
                if (value <= TimeSpan.Zero) failures.Add($"{at}:{setting} must be positive (a TimeSpan such as 00:00:30).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
