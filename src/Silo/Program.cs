using Gateway.Grains.Hosting;
using Gateway.MockProvider;

var builder = WebApplication.CreateBuilder(args);
builder.UseOrleans(silo => silo.AddGatewaySilo(builder.Configuration).StartBesideHost(builder.Configuration));
builder.Services.AddGatewayHealthChecks();
if (builder.Configuration.GetValue<bool>("MockProvider:Enabled"))
{
    builder.Services.AddMockProviderHostedService(builder.Configuration.GetSection("MockProvider"));
}

var app = builder.Build();
app.MapGatewayHealth();
app.MapGatewayDashboard();
app.Run();
