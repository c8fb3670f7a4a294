using Microsoft.Extensions.Options;

namespace Gateway.MockProvider;

/// <summary>Runs a <see cref="MockProviderServer"/> beside the host that registers this service.</summary>
public sealed class MockProviderHostedService : IHostedService, IAsyncDisposable
{
    private readonly MockProviderOptions _options;
    private WebApplication? _app;

    public MockProviderHostedService(IOptions<MockProviderOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("The mock provider is already started.");
        }

        var app = MockProviderServer.Create(_options);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        _app = app;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await app.DisposeAsync();
        }
    }
}
