using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Hosting;

/// <summary>Registers the operator's admin key (<see cref="AdminKeyOptions"/>) and its <see cref="AdminKeyVerifier"/>.</summary>
public static class AdminKeyServiceCollectionExtensions
{
    /// <summary>Once however often it is called: an embedded frontend calls it for itself and again for its silo's dashboard.</summary>
    public static IServiceCollection AddGatewayAdminKey(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(AdminKeyVerifier)))
        {
            return services;
        }

        services.AddOptions<AdminKeyOptions>().BindConfiguration(AdminKeyOptions.Section);
        services.AddSingleton<AdminKeyVerifier>();
        return services;
    }
}
