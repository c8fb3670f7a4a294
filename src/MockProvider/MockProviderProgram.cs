
namespace Gateway.MockProvider;

/// <summary>
/// Stand-alone entry point. Options come from the <c>MockProvider</c> section of environment variables
/// (<c>MockProvider__Url</c>) and the command line (<c>--MockProvider:Url=http://127.0.0.1:5199</c>,
/// <c>--MockProvider:Latency=00:00:00.050</c>). Not top-level statements: other executables reference this
/// project and a generated <c>Program</c> would clash with theirs.
/// </summary>
public static class MockProviderProgram
{
    public static async Task Main(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
        var options = new MockProviderOptions();
        configuration.GetSection("MockProvider").Bind(options);

        await using var app = MockProviderServer.Create(options);
        await app.StartAsync();
        Console.WriteLine($"Mock provider listening on {app.GetBaseAddress()}");
        await app.WaitForShutdownAsync();
    }
}
