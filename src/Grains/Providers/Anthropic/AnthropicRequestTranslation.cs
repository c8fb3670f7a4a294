namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// A Messages request ready to send: its JSON body, and the <c>max_tokens</c> it allows (the client's, the model's
/// default, or raised for a thinking budget: what a worst-case reservation must cover).
/// </summary>
public sealed record AnthropicRequestTranslation(byte[] Body, int MaxTokens, bool Stream);
