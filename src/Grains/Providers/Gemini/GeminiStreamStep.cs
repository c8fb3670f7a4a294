namespace Gateway.Grains.Providers.Gemini;

/// <summary>Where a Gemini stream stands after a piece of it.</summary>
public enum GeminiStreamStep
{
    /// <summary>The stream goes on; any chunks produced are to be relayed.</summary>
    Continue,

    /// <summary>The body ended after a finish reason: the last chunks were produced and the stream is complete.</summary>
    Completed,

    /// <summary>An error event: the stream failed with <see cref="GeminiStreamTranslator.Error"/>, to be relayed as a failure.</summary>
    Failed,

    /// <summary>An event is not a JSON object, or is larger than the limit: a bad response.</summary>
    Malformed,

    /// <summary>The body ended before any finish reason: the stream was cut short.</summary>
    Incomplete,
}
