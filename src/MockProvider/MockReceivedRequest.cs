namespace Gateway.MockProvider;

/// <summary>
/// A request as one of the mock's native routes received it: its body byte for byte, the headers a gateway is expected to
/// forward (<c>anthropic-version</c>, <c>anthropic-beta</c>; null when absent), its query string (<c>?beta=true</c>, say;
/// null when it had none) and the key it came with in <c>x-api-key</c> (null when none), so a test can see what reached
/// the provider.
/// </summary>
public sealed record MockReceivedRequest(byte[] Body, string? AnthropicVersion, string? AnthropicBeta, string? Query = null, string? XApiKey = null)
{
    /// <summary>The body as text.</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Body);
}
