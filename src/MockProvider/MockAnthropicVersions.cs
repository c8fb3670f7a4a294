namespace Gateway.MockProvider;

/// <summary>The <c>anthropic-version</c> values the mock accepts, as Anthropic accepts them.</summary>
internal static class MockAnthropicVersions
{
    public const string V20230601 = "2023-06-01";

    /// <summary>The version that refuses <c>temperature</c>, <c>top_p</c> and <c>top_k</c>.</summary>
    public const string V20261021 = "2026-10-21";

    public static bool IsKnown(string version) => version is V20230601 or V20261021;
}
