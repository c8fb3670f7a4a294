using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.MockProvider;

/// <summary>Lets any generic host run the mock provider beside itself.</summary>
public static class MockProviderHostingExtensions
{
    /// <summary>
    /// Binds <see cref="MockProviderOptions"/> from <paramref name="section"/> and runs a
    /// <see cref="MockProviderHostedService"/> (its stats, faults and deployments are on its HTTP API: <c>/mock/*</c>).
    /// </summary>
    public static IServiceCollection AddMockProviderHostedService(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<MockProviderOptions>().Bind(section);
        services.TryAddSingleton<MockProviderHostedService>();
        services.AddHostedService(provider => provider.GetRequiredService<MockProviderHostedService>());
        return services;
    }
}
