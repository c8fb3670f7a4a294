using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.MockProvider;

/// <summary>Registers and maps the mock provider inside any ASP.NET Core application.</summary>
public static class MockProviderEndpoints
{
    /// <summary>
    /// Registers what <see cref="MapMockProvider"/> needs: <see cref="MockProviderOptions"/> (through
    /// <see cref="IOptions{TOptions}"/>), and singletons <see cref="MockProviderStats"/>, <see cref="MockFaultQueue"/>
    /// and <see cref="MockHold"/>.
    /// </summary>
    public static IServiceCollection AddMockProvider(this IServiceCollection services, Action<MockProviderOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<MockProviderOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<MockProviderStats>();
        services.TryAddSingleton<MockFaultQueue>();
        services.TryAddSingleton<MockHold>();
        return services;
    }

    /// <summary>
    /// Maps <c>POST /v1/chat/completions</c>, <c>GET /v1/models</c>, <c>GET|DELETE /mock/stats</c>,
    /// <c>GET|POST|DELETE /mock/faults</c>, <c>GET|POST|DELETE /mock/hold</c> (close the gate, open it) and <c>GET /health</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapMockProvider(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var options = services.GetService<IOptions<MockProviderOptions>>();
        var stats = services.GetService<MockProviderStats>();
        var faults = services.GetService<MockFaultQueue>();
        var hold = services.GetService<MockHold>();
        if (options is null || stats is null || faults is null || hold is null)
        {
            throw new InvalidOperationException(
                $"Call {nameof(AddMockProvider)} on the service collection before {nameof(MapMockProvider)}.");
        }

        // Plain request delegates with services captured once: no per-request resolution or parameter binding.
        var chat = new ChatCompletionsEndpoint(options, stats, faults, hold);
        endpoints.MapPost("/v1/chat/completions", (RequestDelegate)chat.HandleAsync);
        endpoints.MapGet("/v1/models", (RequestDelegate)(context => MockControlEndpoints.ModelsAsync(context, options)));
        endpoints.MapGet("/mock/stats", (RequestDelegate)(context => MockControlEndpoints.GetStatsAsync(context, stats)));
        endpoints.MapDelete("/mock/stats", (RequestDelegate)(context => MockControlEndpoints.ResetStatsAsync(context, stats)));
        endpoints.MapGet("/mock/faults", (RequestDelegate)(context => MockControlEndpoints.GetFaultsAsync(context, faults)));
        endpoints.MapPost("/mock/faults", (RequestDelegate)(context => MockControlEndpoints.EnqueueFaultsAsync(context, faults)));
        endpoints.MapDelete("/mock/faults", (RequestDelegate)(context => MockControlEndpoints.ClearFaultsAsync(context, faults)));
        endpoints.MapGet("/mock/hold", (RequestDelegate)(context => MockControlEndpoints.WriteHoldAsync(context, hold)));
        endpoints.MapPost("/mock/hold", (RequestDelegate)(context => MockControlEndpoints.CloseHoldAsync(context, hold)));
        endpoints.MapDelete("/mock/hold", (RequestDelegate)(context => MockControlEndpoints.OpenHoldAsync(context, hold)));
        endpoints.MapGet("/health", (RequestDelegate)MockControlEndpoints.HealthAsync);
        return endpoints;
    }
}
