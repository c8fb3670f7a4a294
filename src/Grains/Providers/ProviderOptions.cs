namespace Gateway.Grains.Providers;

/// <summary>One upstream provider (configuration <c>Providers:&lt;name&gt;</c>). Its API key is never logged.</summary>
public sealed class ProviderOptions
{
    /// <summary>Base address of its OpenAI-compatible API, up to and including the version segment (…/v1).</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c>; none when empty.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long one upstream call (a whole stream included) may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);
}
