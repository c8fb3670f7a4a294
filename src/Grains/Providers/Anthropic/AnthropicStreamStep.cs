namespace Gateway.Grains.Providers.Anthropic;

/// <summary>Where an Anthropic stream stands after one event.</summary>
public enum AnthropicStreamStep
{
    /// <summary>The stream goes on; any chunks produced are to be relayed.</summary>
    Continue,

    /// <summary><c>message_stop</c>: the last chunks were produced and the stream is complete.</summary>
    Completed,

    /// <summary>An <c>error</c> event: the stream failed with <see cref="AnthropicStreamTranslator.Error"/>, to be relayed as a failure.</summary>
    Failed,

    /// <summary>The event is not JSON, has no type, or breaks the event order: a bad response.</summary>
    Malformed,
}
