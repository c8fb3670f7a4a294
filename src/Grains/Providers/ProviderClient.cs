namespace Gateway.Grains.Providers;

/// <summary>A configured provider: its API, the authorization header to send (never logged) and its timeouts.</summary>
public sealed record ProviderClient(string Name, IOpenAiCompatibleApi Api, string? Authorization, ProviderOptions Options)
{
    public override string ToString() => Name;
}
