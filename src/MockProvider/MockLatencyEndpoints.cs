using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Gateway.MockProvider;

/// <summary>
/// <c>GET|PUT|DELETE /d/{deployment}/mock/latency</c>: a deployment's own latency and chunk delay, as
/// <c>{"latency_ms":N,"chunk_delay_ms":M}</c> where null (or a missing member in a PUT) means the server's option.
/// </summary>
internal static class MockLatencyEndpoints
{
    // The same bound as the latency directives: a typo must not park a deployment for days.
    private const int MaxDelayMs = 600_000;

    public static Task GetAsync(HttpContext context, MockDeployment deployment) => WriteAsync(context, deployment);

    /// <summary>Replaces both overrides; a member left out goes back to the server's option.</summary>
    public static async Task PutAsync(HttpContext context, MockDeployment deployment)
    {
        if (await MockJson.ReadBodyAsync(context) is not { } document)
        {
            return;
        }

        using (document)
        {
            if (!TryParse(document.RootElement, out var latency, out var chunkDelay, out var error))
            {
                await OpenAiError.WriteInvalidRequestAsync(context, error);
                return;
            }

            deployment.Latency = latency;
            deployment.ChunkDelay = chunkDelay;
        }

        await WriteAsync(context, deployment);
    }

    public static Task ResetAsync(HttpContext context, MockDeployment deployment)
    {
        deployment.Latency = null;
        deployment.ChunkDelay = null;
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static bool TryParse(
        JsonElement root, out TimeSpan? latency, out TimeSpan? chunkDelay, [NotNullWhen(false)] out string? error)
    {
        latency = null;
        chunkDelay = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "The latency must be a JSON object.";
            return false;
        }

        foreach (var property in root.EnumerateObject())
        {
            var isLatency = property.NameEquals("latency_ms"u8);
            if (!isLatency && !property.NameEquals("chunk_delay_ms"u8))
            {
                error = $"Unknown latency member '{property.Name}'.";
                return false;
            }

            TimeSpan? delay = null;
            var value = property.Value;
            if (value.ValueKind != JsonValueKind.Null)
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var ms) || ms is < 0 or > MaxDelayMs)
                {
                    error = $"'{property.Name}' must be null or an integer from 0 to {MaxDelayMs}.";
                    return false;
                }

                delay = TimeSpan.FromMilliseconds(ms);
            }

            if (isLatency)
            {
                latency = delay;
            }
            else
            {
                chunkDelay = delay;
            }
        }

        error = null;
        return true;
    }

    private static async Task WriteAsync(HttpContext context, MockDeployment deployment)
    {
        context.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, MockJson.WriterOptions))
        {
            json.WriteStartObject();
            WriteMilliseconds(json, "latency_ms"u8, deployment.Latency);
            WriteMilliseconds(json, "chunk_delay_ms"u8, deployment.ChunkDelay);
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static void WriteMilliseconds(Utf8JsonWriter json, ReadOnlySpan<byte> name, TimeSpan? value)
    {
        if (value is TimeSpan delay)
        {
            json.WriteNumber(name, (long)delay.TotalMilliseconds);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
