using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Hosting;

/// <summary><c>/health/live</c> (the process answers) and <c>/health/ready</c> (a grain call succeeds), for silos and frontends alike.</summary>
public static class GatewayHealthExtensions
{
    public static IServiceCollection AddGatewayHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ClusterReadyHealthCheck>("cluster", tags: ["ready"]);
        return services;
    }

    public static IEndpointRouteBuilder MapGatewayHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = WriteReasonsAsync });
        return endpoints;
    }

    // The status, then why each failing check fails: descriptions only, since exceptions may quote connection settings.
    private static Task WriteReasonsAsync(HttpContext context, HealthReport report)
    {
        var text = new StringBuilder(report.Status.ToString());
        foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy))
        {
            text.Append('\n').Append(name).Append(": ").Append(entry.Description);
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text.ToString());
    }
}
