using Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.UseOrleans(silo => silo.AddGatewaySilo(builder.Configuration).StartBesideHost(builder.Configuration));
builder.Services.AddGatewayHealthChecks();
builder.Services.AddGatewayTelemetry(builder.Configuration, "gateway-silo");
DevelopmentMockProvider.AddIfEnabled(builder);

var app = builder.Build();
app.UseGatewayTelemetry();
app.MapGatewayHealth();
app.MapGatewayDashboard();
app.Run();
