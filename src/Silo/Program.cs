using Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.UseOrleans(silo => silo.AddGatewaySilo(builder.Configuration).StartBesideHost(builder.Configuration));
builder.Services.AddGatewayHealthChecks();
DevelopmentMockProvider.AddIfEnabled(builder);

var app = builder.Build();
app.MapGatewayHealth();
app.MapGatewayDashboard();
app.Run();
