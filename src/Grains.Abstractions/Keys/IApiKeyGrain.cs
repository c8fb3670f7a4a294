namespace Gateway.Grains.Abstractions.Keys;

/// <summary>Resolves an API key to its tenant. Keyed by the key's SHA-256 hash (hex); the key itself is never stored.</summary>
[Alias("gw.IApiKeyGrain")]
public interface IApiKeyGrain : IGrainWithStringKey
{
    [Alias("RegisterAsync")]
    Task RegisterAsync(ApiKeyRecord record);

    [Alias("RevokeAsync")]
    Task RevokeAsync();

    /// <summary>The key's record; <see langword="null"/> for a key that was never issued. Bounded like admission.</summary>
    [Alias("ResolveAsync"), ResponseTimeout("00:00:10")]
    Task<ApiKeyRecord?> ResolveAsync();
}
