using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Dashboard;

namespace Gateway.Hosting;

/// <summary>Serves the Orleans dashboard of a process that hosts a silo (the silo process, an embedded frontend).</summary>
public static class GatewayDashboardExtensions
{
    public const string DashboardPath = "/dashboard";

    /// <summary>
    /// The Orleans dashboard at <c>/dashboard</c> when <see cref="GatewayDashboardOptions.Enabled"/>: open in Development,
    /// behind the admin key elsewhere; <c>/dashboard</c> itself serves the page instead of redirecting (<see cref="DashboardRootPage"/>).
    /// </summary>
    public static WebApplication MapGatewayDashboard(this WebApplication app)
    {
        if (!GatewayDashboardOptions.From(app.Configuration).Enabled)
        {
            return app;
        }

        app.Services.GetRequiredService<AdminKeyVerifier>();
        if (!app.Environment.IsDevelopment())
        {
            app.UseWhen(
                context => context.Request.Path.StartsWithSegments(DashboardPath),
                branch => branch.UseMiddleware<DashboardAccessMiddleware>());
        }

        var page = new DashboardRootPage();
        app.MapWhen(context => DashboardRootPage.Serves(context.Request), branch => branch.Run(page.WriteAsync));
        app.MapOrleansDashboard(routePrefix: DashboardPath);
        return app;
    }
}
