namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// An Anthropic Messages request translated into the gateway's canonical form: an OpenAI chat completion body (with its
/// <c>model</c>), which the chat pipeline validates, counts, admits and sends like any chat completion. When
/// <see cref="NativeOnly"/> is set, the translation lacks parts only an Anthropic provider can take (that is why), whose
/// <see cref="NativeOnlyTokens"/> the chat body's count does not include.
/// </summary>
public sealed record MessagesRequest(byte[] ChatBody, bool Stream, string? NativeOnly = null, long NativeOnlyTokens = 0);
