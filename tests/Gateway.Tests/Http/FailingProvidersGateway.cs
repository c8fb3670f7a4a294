using System.Globalization;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Http;

/// <summary>
/// A gateway of its own for the upstream failures the shared one cannot show, started once for the tests that need it:
/// its <c>openai</c> provider (gpt-4.1) is a loopback port nobody listens on, its <c>anthropic</c> provider
/// (claude-sonnet-4.5) a host name that does not resolve, and its <c>gemini</c> provider (gemini-2.5-flash, the mock)
/// has timeouts short enough for a retry to fit in the retry budget. A provider body may be at most
/// <see cref="MaxResponseBytes"/>.
/// </summary>
public sealed class FailingProvidersGateway : IAsyncLifetime
{
    /// <summary>The largest provider body this gateway accepts.</summary>
    public const long MaxResponseBytes = 64 * 1024;

    /// <summary>The first-byte and idle timeouts of its <c>gemini</c> provider, well within the retry budget of 30 seconds.</summary>
    public static readonly TimeSpan GeminiTimeout = TimeSpan.FromSeconds(5);

    public GatewayFactory Gateway { get; } = new();

    public Task InitializeAsync()
    {
        var settings = Gateway.Settings;
        settings["Providers:openai:BaseUrl"] = $"http://127.0.0.1:{FreePorts.Next()}/v1";
        settings["Providers:anthropic:BaseUrl"] = "http://gateway-test.invalid";
        var timeout = GeminiTimeout.ToString("c", CultureInfo.InvariantCulture);
        settings["Providers:gemini:FirstByteTimeout"] = timeout;
        settings["Providers:gemini:IdleTimeout"] = timeout;
        settings["Gateway:Upstream:MaxResponseBytes"] = MaxResponseBytes.ToString(CultureInfo.InvariantCulture);
        return Gateway.InitializeAsync();
    }

    public Task DisposeAsync() => ((IAsyncLifetime)Gateway).DisposeAsync();
}
