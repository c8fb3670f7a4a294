using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Gateway.MockProvider;

/// <summary>Builds a stand-alone mock provider server.</summary>
public static class MockProviderServer
{
    /// <summary>
    /// Builds, but does not start, a minimal web application serving the mock on <see cref="MockProviderOptions.Url"/>.
    /// The caller starts it with <c>StartAsync</c> and stops and disposes it. <paramref name="options"/> is used
    /// live: changing its latency, chunk delay, default tokens or API key affects later requests.
    /// </summary>
    public static WebApplication Create(MockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(MockProviderServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,

            // Tests build many of these; they must not each put a file watcher on appsettings.json.
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });

        // The mock is configured by its options alone, never by the hosting process's appsettings or
        // ASPNETCORE_* variables (which could add bindings or verbose logging).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection([new KeyValuePair<string, string?>(WebHostDefaults.ServerUrlsKey, options.Url)]);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        // Inline scheduling makes a response flush hand the bytes to the socket before it returns, so a stream
        // cut with HttpContext.Abort() never drops chunks it already counted as sent; it also saves thread hops
        // in benchmarks. Safe here because no handler of the mock blocks.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);

        builder.Logging.ClearProviders();
        builder.Logging.AddConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        builder.Services.AddMockProvider();
        builder.Services.AddSingleton<IOptions<MockProviderOptions>>(Options.Create(options));

        // Loads the vocabulary now rather than inside the first request, which would skew latency measurements.
        _ = MockTokenCount.Tokenizer;

        var app = builder.Build();
        app.MapMockProvider();
        return app;
    }

    /// <summary>
    /// The address the started server listens on, e.g. <c>http://127.0.0.1:41234/</c>; useful when
    /// <see cref="MockProviderOptions.Url"/> asked for port 0. Wildcard hosts are reported as <c>127.0.0.1</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server has not been started.</exception>
    public static Uri GetBaseAddress(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var address = addresses?.FirstOrDefault()
            ?? throw new InvalidOperationException("The mock provider has no address yet; start it first.");

        var uri = new Uri(address.Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal)
            .Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal));
        var host = uri.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : uri.Host;
        return new UriBuilder(uri.Scheme, host, uri.Port, "/").Uri;
    }
}
