namespace Gateway.ApiFrontend.Messages;

/// <summary>
/// An Anthropic Messages request translated into the gateway's canonical form: an OpenAI chat completion body (with its
/// <c>model</c>), which the chat pipeline validates, counts, admits and sends like any chat completion.
/// </summary>
public sealed record MessagesRequest(byte[] ChatBody, bool Stream);
