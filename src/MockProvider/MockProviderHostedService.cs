using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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

    /// <summary>Where the mock listens, once started.</summary>
    public Uri? BaseAddress { get; private set; }

    /// <summary>The running server's stats (totals over every deployment), once started.</summary>
    public MockProviderStats? Stats => _app?.Services.GetRequiredService<MockProviderStats>();

    /// <summary>The running server's fault queue of its top-level routes, once started.</summary>
    public MockFaultQueue? Faults => _app?.Services.GetRequiredService<MockFaultQueue>();

    /// <summary>The running server's named deployments (<c>/d/{name}/</c>), once started.</summary>
    public MockDeployments? Deployments => _app?.Services.GetRequiredService<MockDeployments>();

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

        BaseAddress = app.GetBaseAddress();
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
