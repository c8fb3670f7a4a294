namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// The <c>anthropic-version</c> values the gateway speaks, and what each accepts. Versions are ISO dates, so a later
/// version compares greater as a string.
/// </summary>
public static class AnthropicApiVersions
{
    /// <summary>The version older clients send; it accepts <c>temperature</c>, <c>top_p</c> and <c>top_k</c>.</summary>
    public const string V20230601 = "2023-06-01";

    /// <summary>The version today's official SDKs send; it refuses <c>temperature</c>, <c>top_p</c> and <c>top_k</c>.</summary>
    public const string V20261021 = "2026-10-21";

    /// <summary>Every version the gateway speaks.</summary>
    public static IReadOnlyList<string> All { get; } = [V20230601, V20261021];

    /// <summary>True when <paramref name="version"/> still accepts the sampling parameters (versions before <see cref="V20261021"/>).</summary>
    public static bool AcceptsSamplingParameters(string version) => string.CompareOrdinal(version, V20261021) < 0;
}
