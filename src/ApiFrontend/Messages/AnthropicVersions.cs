namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// The <c>anthropic-version</c> header, which Anthropic's API requires on every request: <c>2023-06-01</c> (older clients)
/// and <c>2026-10-21</c> (today's official SDKs) are accepted; the translation to the gateway's providers reads the same for both.
/// </summary>
public static class AnthropicVersions
{
    public const string Header = "anthropic-version";

    private static readonly string[] Accepted = ["2023-06-01", "2026-10-21"];

    /// <summary>Null when the request names an accepted version; the error Anthropic answers otherwise.</summary>
    public static AnthropicError? Check(HttpRequest request)
    {
        var values = request.Headers[Header];
        if (values.Count == 0 || string.IsNullOrWhiteSpace(values[0]))
        {
            return AnthropicError.InvalidRequest($"{Header}: header is required");
        }

        return values.Count == 1 && Accepted.Contains(values[0]!.Trim(), StringComparer.Ordinal)
            ? null
            : AnthropicError.InvalidRequest($"{Header}: invalid version; accepted: {string.Join(", ", Accepted)}");
    }
}
