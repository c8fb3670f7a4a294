namespace Gateway.Grains.Providers;

/// <summary>A configured provider: its API, the authorization header to send (never logged) and its call timeout.</summary>
public sealed record ProviderClient(string Name, IOpenAiCompatibleApi Api, string? Authorization, TimeSpan Timeout)
{
    public override string ToString() => Name;
}
