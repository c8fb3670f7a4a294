using Gateway.ApiFrontend.Contracts;
using Gateway.Catalog;
using Gateway.Catalog.Models;
using Gateway.Grains.Abstractions.Routing;
using Gateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.ApiFrontend.Apis;

/// <summary>
/// <c>GET /admin/deployments</c>: every deployment of the catalog with its health and capacity. Behind the admin key
/// (applied on the group).
/// </summary>
/// <remarks>
/// Health (circuit, latency, errors, cooldown) lives in each silo's memory. Every silo pushes its view of the deployments it
/// uses to one <see cref="IDeploymentStatusGrain"/> per deployment each second, and this endpoint reads those grains, so
/// it works the same from a frontend that is only an Orleans client. An embedded frontend has a silo of its own: its view
/// is read in process, fresh, in place of what that silo last pushed. Capacity comes from the deployment's
/// <see cref="IDeploymentCapacityGrain"/>, asked only for deployments that have limits, so that an unlimited deployment
/// never gets a capacity grain activated.
/// </remarks>
public static class DeploymentsApi
{
    public static RouteGroupBuilder MapDeploymentsApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/deployments", GetDeployments).WithName("GetDeployments").WithErrors(401);
        return admin;
    }

    public static async Task<Ok<DeploymentListResponse>> GetDeployments(
        HttpContext context, ModelCatalog catalog, IGrainFactory grains, [FromKeyedServices(GatewayClock.Key)] TimeProvider time)
    {
        // Registered only where a silo runs in this process (embedded mode).
        var local = context.RequestServices.GetService<LocalDeploymentHealth>();

        var deployments = await Task.WhenAll(catalog.Deployments.Select(d => DescribeAsync(d, grains, local, time)));
        return TypedResults.Ok(new DeploymentListResponse(deployments));
    }

    private static async Task<DeploymentResponse> DescribeAsync(Deployment deployment, IGrainFactory grains, LocalDeploymentHealth? local, TimeProvider time)
    {
        var capacity = deployment.Limits.IsUnlimited ? null : grains.GetGrain<IDeploymentCapacityGrain>(deployment.Id).GetReportAsync();
        IReadOnlyList<DeploymentHealthReport> reports = await grains.GetGrain<IDeploymentStatusGrain>(deployment.Id).GetReportsAsync();
        if (local?.Find(deployment.Id) is { } report)
        {
            reports = [.. reports.Where(r => r.Silo != local.Silo), report];
        }

        return DeploymentResponse.From(deployment, reports, capacity is null ? null : await capacity, time.GetUtcNow());
    }
}
