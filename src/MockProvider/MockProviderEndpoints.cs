using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.MockProvider;

/// <summary>Registers and maps the mock provider inside any ASP.NET Core application.</summary>
public static class MockProviderEndpoints
{
    /// <summary>
    /// Registers what <see cref="MapMockProvider"/> needs: <see cref="MockProviderOptions"/> (through
    /// <see cref="IOptions{TOptions}"/>), and singletons <see cref="MockProviderStats"/> (the totals over every
    /// deployment), <see cref="MockFaultQueue"/> (the top-level routes' queue), <see cref="MockDeployments"/> and
    /// <see cref="MockHold"/>.
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
        services.TryAddSingleton<MockDeployments>();
        services.TryAddSingleton<MockHold>();
        return services;
    }

    /// <summary>
    /// Maps the mock's routes. The top-level ones are the default deployment:
    /// <list type="bullet">
    /// <item><c>POST /v1/chat/completions</c>, <c>GET /v1/models</c>;</item>
    /// <item><c>POST /v1/messages</c>: Anthropic's Messages API (<see cref="MessagesEndpoint"/>), plain and streamed;</item>
    /// <item><c>POST /v1beta/models/{model}:generateContent</c> and <c>:streamGenerateContent?alt=sse</c>: Gemini's API
    /// (<see cref="GenerateContentEndpoint"/>);</item>
    /// <item><c>GET|DELETE /mock/stats</c>: totals over every deployment plus <c>byDeployment</c>; DELETE zeroes all;</item>
    /// <item><c>GET|POST|DELETE /mock/faults</c>: the default deployment's fault queue (pending count, enqueue, clear);</item>
    /// <item><c>GET|POST|DELETE /mock/hold</c>: the gate shared by every deployment (read, close, open);</item>
    /// <item><c>GET /health</c>.</item>
    /// </list>
    /// Any name is a deployment of its own, created on first use, with its own faults, stats and delays:
    /// <list type="bullet">
    /// <item><c>POST /d/{deployment}/v1/chat/completions</c>, <c>POST /d/{deployment}/v1/messages</c>,
    /// <c>POST /d/{deployment}/v1beta/models/{model}:generateContent</c> (and <c>:streamGenerateContent</c>), <c>GET /d/{deployment}/v1/models</c>;</item>
    /// <item><c>GET|POST|DELETE /d/{deployment}/mock/faults</c>;</item>
    /// <item><c>GET|DELETE /d/{deployment}/mock/stats</c> (also counted in the totals);</item>
    /// <item><c>GET|PUT|DELETE /d/{deployment}/mock/latency</c>: <c>{"latency_ms":N,"chunk_delay_ms":M}</c>, null or
    /// DELETE meaning the server's options.</item>
    /// </list>
    /// </summary>
    public static IEndpointRouteBuilder MapMockProvider(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var options = services.GetService<IOptions<MockProviderOptions>>();
        var stats = services.GetService<MockProviderStats>();
        var faults = services.GetService<MockFaultQueue>();
        var deployments = services.GetService<MockDeployments>();
        var hold = services.GetService<MockHold>();
        if (options is null || stats is null || faults is null || deployments is null || hold is null)
        {
            throw new InvalidOperationException(
                $"Call {nameof(AddMockProvider)} on the service collection before {nameof(MapMockProvider)}.");
        }

        var logger = services.GetService<ILoggerFactory>()?.CreateLogger(typeof(MockProviderEndpoints).Namespace!)
            ?? NullLogger.Instance;

        // Plain request delegates with services captured once: no per-request resolution or parameter binding.
        var chat = new ChatCompletionsEndpoint(options, deployments, hold, logger);
        endpoints.MapPost("/v1/chat/completions", (RequestDelegate)chat.HandleDefaultAsync);
        var messages = new MessagesEndpoint(options, deployments, hold, logger);
        endpoints.MapPost("/v1/messages", (RequestDelegate)messages.HandleDefaultAsync);
        var gemini = new GenerateContentEndpoint(options, deployments, hold, logger);
        endpoints.MapPost($"/v1beta/models/{{{GenerateContentEndpoint.CallParameter}}}", (RequestDelegate)gemini.HandleDefaultAsync);
        endpoints.MapGet("/v1/models", (RequestDelegate)(context => MockControlEndpoints.ModelsAsync(context, options)));
        endpoints.MapGet("/mock/stats", (RequestDelegate)(context => MockControlEndpoints.GetStatsAsync(context, stats, deployments)));
        endpoints.MapDelete("/mock/stats", (RequestDelegate)(context => MockControlEndpoints.ResetStatsAsync(context, deployments)));
        endpoints.MapGet("/mock/faults", (RequestDelegate)(context => MockControlEndpoints.GetFaultsAsync(context, faults)));
        endpoints.MapPost("/mock/faults", (RequestDelegate)(context => MockControlEndpoints.EnqueueFaultsAsync(context, faults)));
        endpoints.MapDelete("/mock/faults", (RequestDelegate)(context => MockControlEndpoints.ClearFaultsAsync(context, faults)));
        endpoints.MapGet("/mock/hold", (RequestDelegate)(context => MockControlEndpoints.WriteHoldAsync(context, hold)));
        endpoints.MapPost("/mock/hold", (RequestDelegate)(context => MockControlEndpoints.CloseHoldAsync(context, hold)));
        endpoints.MapDelete("/mock/hold", (RequestDelegate)(context => MockControlEndpoints.OpenHoldAsync(context, hold)));
        endpoints.MapGet("/health", (RequestDelegate)MockControlEndpoints.HealthAsync);

        var deployment = endpoints.MapGroup($"/d/{{{MockDeployments.RouteParameter}}}");
        deployment.MapPost("/v1/chat/completions", (RequestDelegate)chat.HandleDeploymentAsync);
        deployment.MapPost("/v1/messages", (RequestDelegate)messages.HandleDeploymentAsync);
        deployment.MapPost($"/v1beta/models/{{{GenerateContentEndpoint.CallParameter}}}", (RequestDelegate)gemini.HandleDeploymentAsync);
        deployment.MapGet("/v1/models", (RequestDelegate)(context => MockControlEndpoints.ModelsAsync(context, options)));
        deployment.MapGet("/mock/stats", (RequestDelegate)(context =>
            MockControlEndpoints.GetDeploymentStatsAsync(context, deployments.FromRoute(context))));
        deployment.MapDelete("/mock/stats", (RequestDelegate)(context =>
            MockControlEndpoints.ResetDeploymentStatsAsync(context, deployments.FromRoute(context))));
        deployment.MapGet("/mock/faults", (RequestDelegate)(context =>
            MockControlEndpoints.GetFaultsAsync(context, deployments.FromRoute(context).Faults)));
        deployment.MapPost("/mock/faults", (RequestDelegate)(context =>
            MockControlEndpoints.EnqueueFaultsAsync(context, deployments.FromRoute(context).Faults)));
        deployment.MapDelete("/mock/faults", (RequestDelegate)(context =>
            MockControlEndpoints.ClearFaultsAsync(context, deployments.FromRoute(context).Faults)));
        deployment.MapGet("/mock/latency", (RequestDelegate)(context =>
            MockLatencyEndpoints.GetAsync(context, deployments.FromRoute(context))));
        deployment.MapPut("/mock/latency", (RequestDelegate)(context =>
            MockLatencyEndpoints.PutAsync(context, deployments.FromRoute(context))));
        deployment.MapDelete("/mock/latency", (RequestDelegate)(context =>
            MockLatencyEndpoints.ResetAsync(context, deployments.FromRoute(context))));
        return endpoints;
    }
}
