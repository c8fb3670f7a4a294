namespace Gateway.Grains.Providers;

/// <summary>One upstream provider account (configuration <c>Providers:&lt;name&gt;</c>). Its API key is never logged.</summary>
public sealed class ProviderOptions
{
    /// <summary>The wire format it speaks; <c>openai</c> (OpenAI-compatible chat completions) when absent, the only one so far.</summary>
    public string? Kind { get; set; }

    /// <summary>Base address of its OpenAI-compatible API, up to and including the version segment (…/v1).</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c>; none when empty.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long opening a connection (DNS, TCP, TLS) may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the provider may take to answer with its status and headers: for a completion that is the whole generation,
    /// which a long answer or a reasoning model can take minutes over.
    /// </summary>
    public TimeSpan FirstByteTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a body or a stream may go without a byte (between stream events) before it counts as stalled.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long one upstream call, a whole stream included, may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);
}
