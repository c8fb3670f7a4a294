namespace Gateway.MockProvider;

/// <summary>
/// A request as one of the mock's native routes received it: its body byte for byte and the headers a gateway is expected to
/// forward (<c>anthropic-version</c>, <c>anthropic-beta</c>; null when absent), so a test can see what reached the provider.
/// </summary>
public sealed record MockReceivedRequest(byte[] Body, string? AnthropicVersion, string? AnthropicBeta)
{
    /// <summary>The body as text.</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Body);
}
