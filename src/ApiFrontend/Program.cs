using Gateway.ApiFrontend.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayFrontend();

var app = builder.Build();
app.MapGatewayFrontend();
app.Run();

/// <summary>The frontend's entry point; public so that tests can host it with <c>WebApplicationFactory</c>.</summary>
public partial class Program;
