using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Catalog;

/// <summary>Binds options whose configuration section is a set of named entries (models, tiers, providers).</summary>
public static class EntriesOptionsBinding
{
    /// <summary>
    /// The section binds into the dictionary <paramref name="entries"/> returns, is validated at start, and is read again
    /// when the configuration changes.
    /// </summary>
    public static void BindEntries<TOptions>(this IServiceCollection services, string section, Func<TOptions, object> entries)
        where TOptions : class
    {
        services.AddOptions<TOptions>().Configure<IConfiguration>((options, config) => config.GetSection(section).Bind(entries(options))).ValidateOnStart();
        services.AddSingleton<IOptionsChangeTokenSource<TOptions>>(sp => new ConfigurationChangeTokenSource<TOptions>(sp.GetRequiredService<IConfiguration>().GetSection(section)));
    }
}
