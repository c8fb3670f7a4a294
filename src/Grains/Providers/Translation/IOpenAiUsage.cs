using System.Text.Json;

namespace Gateway.Grains.Providers.Translation;

/// <summary>A provider's token counts that can be written as OpenAI's <c>usage</c>, on a completion or a stream's last chunk.</summary>
public interface IOpenAiUsage
{
    /// <summary>Writes the <c>usage</c> member of an OpenAI completion or chunk.</summary>
    void WriteOpenAi(Utf8JsonWriter writer);
}
