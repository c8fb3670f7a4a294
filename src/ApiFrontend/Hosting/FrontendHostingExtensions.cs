using Gateway.ApiFrontend.Apis;
using Gateway.ApiFrontend.Auth;
using Gateway.ApiFrontend.Errors;
using Gateway.ApiFrontend.Cluster;
using Gateway.ApiFrontend.Telemetry;
using Gateway.Catalog;
using Gateway.Grains.Abstractions;
using Gateway.Hosting;
using Scalar.AspNetCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.ApiFrontend.Hosting;

/// <summary>Everything the frontend process is made of, so that <c>Program.cs</c> stays a table of contents.</summary>
public static class FrontendHostingExtensions
{
    /// <summary>How often a frontend outside the silos reads the gateways from the membership table.</summary>
    internal static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(5);

    public static WebApplicationBuilder AddGatewayFrontend(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        FrontendOptions.RefuseMovedKeys(configuration);
        var options = configuration.GetSection(FrontendOptions.Section).Get<FrontendOptions>() ?? new FrontendOptions();
        services.AddOptionsWithValidateOnStart<FrontendOptions>().BindConfiguration(FrontendOptions.Section);
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<FrontendOptions>, FrontendOptions.Validator>();
        services.AddOptionsWithValidateOnStart<HttpLimitsOptions>().BindConfiguration(HttpLimitsOptions.Section);
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<HttpLimitsOptions>, HttpLimitsOptions.Validator>();
        services.AddSingleton<Microsoft.Extensions.Options.IConfigureOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>, HttpLimitsOptions.Apply>();

        if (options.Mode == FrontendMode.Embedded)
        {
            builder.UseOrleans(silo => silo.AddGatewaySilo(configuration));
        }
        else
        {
            var hosting = SiloHostingOptions.From(configuration);
            builder.UseOrleansClient(client =>
            {
                client.AddGrainCallTracing();

                // A frontend learns of new silos' gateways from the membership table this often (Orleans' default: a
                // minute). In a rolling update the old silo stops moments after its replacement is ready; a frontend that
                // has not connected to the replacement yet finds every gateway it knows dead, and the silos cannot reach it
                // (a stream's chunks wait) until it has reconnected and the silos have learned the new route.
                client.Configure<Orleans.Configuration.GatewayOptions>(o => o.GatewayListRefreshPeriod = GatewayListRefreshPeriod);
                if (hosting.Clustering == ClusteringKind.Redis)
                {
                    client.UseRedisClustering(SiloHostingOptions.RequiredConnectionString(configuration, "Redis", "Redis clustering"));
                    client.Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (hosting.ClusterId, hosting.ServiceId));
                }
                else
                {
                    client.UseLocalhostClustering(hosting.GatewayPort, hosting.ServiceId, hosting.ClusterId);
                }
            });
        }

        DevelopmentMockProvider.AddIfEnabled(builder);
        services.AddGatewayCatalogs();
        services.AddGatewayAdminKey();
        services.AddGatewayHealthChecks();
        services.AddGatewayTelemetry(configuration, options.Mode == FrontendMode.Embedded ? "gateway" : "gateway-frontend");
        services.AddSingleton<UpstreamCallWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<UpstreamCallWatch>());
        services.AddSingleton<IClusterConnectionStatusObserver, UpstreamCallWatchConnectionObserver>();
        services.AddSingleton<IdempotentCalls>();
        services.AddSingleton<LostCallReleases>();
        services.TryAddSingleton<GrainReferences>();
        services.AddSingleton<KeyResolver>();
        services.AddSingleton<TenantKeyFilter>();
        services.AddCors(BrowserCors.Configure);
        services.AddOpenApi(ApiDocument.Configure);
        services.AddSingleton<AdminKeyFilter>();
        services.AddSingleton<JsonContentTypeFilter>();
        services.AddSingleton<Messages.AnthropicErrorsFilter>();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, Contracts.GatewayJsonContext.Resolver);
            // Numbers are JSON numbers: no body is read with these options (request bodies go through StrictJsonBody), and the
            // API document, drawn from them, would otherwise offer strings for every number.
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        return builder;
    }

    public static WebApplication MapGatewayFrontend(this WebApplication app)
    {
        app.UseGatewayTelemetry();
        app.UseRequestIds();
        app.UseRequestMetrics();
        app.UseHttpLimits();
        app.UseOpenAiErrorsForExceptions();
        app.UseStatusCodePages(async status =>
        {
            // Unmatched routes and methods still answer in OpenAI's error shape.
            var response = status.HttpContext.Response;
            if (response.HasStarted || response.ContentLength > 0 || response.ContentType is not null)
            {
                return;
            }

            var code = response.StatusCode;
            await UnhandledErrors.Render(status.HttpContext, code switch
            {
                StatusCodes.Status404NotFound => new OpenAiError(code, "Unknown endpoint.", "invalid_request_error", code: "unknown_url"),
                StatusCodes.Status405MethodNotAllowed => new OpenAiError(code,
                    $"{status.HttpContext.Request.Method} is not allowed on this endpoint (allowed: {response.Headers.Allow}).", "invalid_request_error", code: "method_not_allowed"),
                StatusCodes.Status415UnsupportedMediaType => JsonContentTypeFilter.NotJson(),
                _ => new OpenAiError(code, $"The request failed with status {code}.", "invalid_request_error"),
            });
        });

        app.MapGatewayHealth();
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            // A browsable reference of the API document, for development runs only.
            app.MapScalarApiReference();
        }

        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<FrontendOptions>>().Value.Mode == FrontendMode.Embedded)
        {
            app.MapGatewayDashboard();
        }

        app.UseCors();
        var v1 = app.MapGroup("/v1").RequireCors(BrowserCors.Policy).AddEndpointFilter<TenantKeyFilter>().AddEndpointFilter<JsonContentTypeFilter>();
        v1.MapChatCompletionsApi();
        v1.MapTenantApi();

        // The model list: OpenAI's shape, or Anthropic's (errors included) for a client that names an anthropic-version.
        var models = app.MapGroup("/v1").RequireCors(BrowserCors.Policy).AddEndpointFilter<Messages.AnthropicDialectFilter>()
            .AddEndpointFilter<TenantKeyFilter>().AddEndpointFilter<JsonContentTypeFilter>();
        models.MapModelsApi();

        // Anthropic's Messages API: the same key check and body rules, its own error shape and required version header.
        var messages = app.MapGroup("/v1").RequireCors(BrowserCors.Policy).AddEndpointFilter<Messages.AnthropicErrorsFilter>()
            .AddEndpointFilter<TenantKeyFilter>().AddEndpointFilter<JsonContentTypeFilter>();
        messages.MapMessagesApi();

        // Resolved now, so that a generated development admin key is printed at start-up, not at first use.
        app.Services.GetRequiredService<AdminKeyVerifier>();
        var admin = app.MapGroup("/admin").AddEndpointFilter<AdminKeyFilter>().AddEndpointFilter<JsonContentTypeFilter>();
        admin.MapAdminApi();
        admin.MapDeploymentsApi();
        return app;
    }
}
