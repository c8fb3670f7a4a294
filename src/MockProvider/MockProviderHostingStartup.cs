
[assembly: HostingStartup(typeof(Gateway.MockProvider.MockProviderHostingStartup))]

namespace Gateway.MockProvider;

/// <summary>
/// How a gateway host runs the mock beside itself without a compile-time reference to it: the host loads this assembly
/// by name when <c>MockProvider:Enabled</c> is set (development runs, tests, benchmarks), and published images, which
/// leave the assembly out, cannot start it by mistake.
/// </summary>
public sealed class MockProviderHostingStartup : IHostingStartup
{
    public void Configure(IWebHostBuilder builder) =>
        builder.ConfigureServices((context, services) => services.AddMockProviderHostedService(context.Configuration.GetSection("MockProvider")));
}
