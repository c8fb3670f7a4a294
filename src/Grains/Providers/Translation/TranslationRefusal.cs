namespace Gateway.Grains.Providers.Translation;

/// <summary>
/// Why an OpenAI request cannot be translated for the provider: answered to the client as a 400 in OpenAI's error
/// shape (<c>invalid_request_error</c>) with this message, param and code. Nothing was sent upstream.
/// </summary>
public sealed record TranslationRefusal(string Message, string? Param, string Code)
{
    /// <summary>The HTTP status a refusal is answered with.</summary>
    public const int StatusCode = 400;

    /// <summary>A parameter the provider has no equivalent for (or not with this value).</summary>
    public static TranslationRefusal Unsupported(string message, string param) => new(message, param, "unsupported_parameter");

    /// <summary>A value (a content part, a tool type, ...) the provider cannot take.</summary>
    public static TranslationRefusal UnsupportedValue(string message, string param) => new(message, param, "unsupported_value");
}
