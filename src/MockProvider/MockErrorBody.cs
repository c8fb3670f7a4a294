namespace Gateway.MockProvider;

/// <summary>The body of a failure injected with <see cref="MockFault.Status"/> (JSON: <c>error_body</c>).</summary>
public enum MockErrorBody
{
    /// <summary>OpenAI's error JSON, <c>{"error":{"message","type","param","code"}}</c> (<c>json</c>).</summary>
    Json = 0,

    /// <summary>A <c>text/html</c> page such as a load balancer answers (<c>html</c>).</summary>
    Html,

    /// <summary>No body at all, <c>Content-Length: 0</c> (<c>empty</c>).</summary>
    Empty,
}
