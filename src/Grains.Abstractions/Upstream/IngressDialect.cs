namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>
/// The API a client spoke to the gateway. Numbers are part of the wire contract: never renumber, only add.
/// </summary>
[GenerateSerializer, Alias("gw.IngressDialect")]
public enum IngressDialect
{
    /// <summary>OpenAI's chat completions.</summary>
    OpenAiChat = 0,

    /// <summary>Anthropic's Messages API (<c>POST /v1/messages</c>).</summary>
    AnthropicMessages = 1,
}
