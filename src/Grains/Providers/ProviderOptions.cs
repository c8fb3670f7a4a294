using Gateway.Grains.Providers.Anthropic;

namespace Gateway.Grains.Providers;

/// <summary>One upstream provider account (configuration <c>Providers:&lt;name&gt;</c>). Its API key is never logged.</summary>
public sealed class ProviderOptions
{
    /// <summary>
    /// The wire format it speaks (<see cref="ProviderKinds"/>): <c>openai</c> (OpenAI-compatible chat completions, the
    /// default, except for the built-in <c>anthropic</c> and <c>gemini</c>), <c>anthropic</c> (the Messages API) or <c>gemini</c>
    /// (<c>generateContent</c>).
    /// </summary>
    public string? Kind { get; set; }

    /// <summary>
    /// Base address of its API: for <c>openai</c> up to and including the version segment (…/v1); for <c>anthropic</c> the
    /// host root (the gateway calls <c>{BaseUrl}/v1/messages</c>); for <c>gemini</c> the host root too (the gateway calls
    /// <c>{BaseUrl}/v1beta/models/{model}:generateContent</c> and <c>:streamGenerateContent?alt=sse</c>).
    /// </summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c> (<c>openai</c>), <c>x-api-key</c> (<c>anthropic</c>) or <c>x-goog-api-key</c> (<c>gemini</c>); none when empty.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The <c>anthropic-version</c> header sent to a provider of kind <c>anthropic</c>: <c>2023-06-01</c> (the default) or
    /// <c>2026-10-21</c>. Translation follows it: the later version refuses <c>temperature</c>, <c>top_p</c> and <c>top_k</c>,
    /// so they are left out.
    /// </summary>
    public string AnthropicVersion { get; set; } = AnthropicApiVersions.V20230601;

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
