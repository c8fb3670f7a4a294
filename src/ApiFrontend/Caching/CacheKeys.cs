using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Catalog.Buffers;
using Gateway.Grains.Abstractions.Tenants;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.ApiFrontend.Caching;

/// <summary>
/// Decides whether a request uses its tenant's response cache and under which key: a SHA-256 of the tenant id, the
/// catalog model and the request in canonical form (members sorted at every level, the transport details
/// <c>stream</c>, <c>stream_options</c> and <c>user</c> left out), so one tenant's entry can never answer another's; for a
/// request that carries its native form (a Messages request) also its dialect, <c>anthropic-version</c>,
/// <c>anthropic-beta</c> and endpoint, which decide what a native provider answers (and keep its entries apart from chat
/// completions', whose body could be the same text).
/// </summary>
public static class CacheKeys
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>The request's directive, or null (the cache is bypassed) with the reason in the response header.</summary>
    public static CacheDirective? Directive(
        TenantCacheSettings? settings, CacheHeaders headers, string tenantId, string modelId, ReadOnlyMemory<byte> body, NativeRequest? native = null)
    {
        if (settings is not { Enabled: true } || headers.NoStore)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body, DocumentOptions);
            var root = document.RootElement;
            if (settings.DeterministicOnly && !AsksForDeterminism(root))
            {
                return null;
            }

            var ttl = TimeSpan.FromSeconds(headers.TtlSeconds ?? settings.TtlSeconds);
            return new CacheDirective(Key(tenantId, modelId, root, native), Read: !headers.NoCache, Write: true, ttl, settings.MaxEntries);
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or ArgumentException)
        {
            // Text that cannot be written again as it came (the parser refuses most of it before): not cached.
            return null;
        }
    }

    /// <summary><c>temperature</c> 0, or a <c>seed</c>.</summary>
    public static bool AsksForDeterminism(JsonElement root) =>
        (root.TryGetProperty("temperature", out var temperature) && temperature.ValueKind == JsonValueKind.Number
            && temperature.TryGetDecimal(out var value) && value == 0m)
        || (root.TryGetProperty("seed", out var seed) && seed.ValueKind == JsonValueKind.Number);

    public static string Key(string tenantId, string modelId, JsonElement root, NativeRequest? native = null)
    {
        using var canonical = new PooledBufferWriter(1024);
        using (var writer = new Utf8JsonWriter(canonical))
        {
            writer.WriteStartArray();
            writer.WriteStringValue("v1");
            writer.WriteStringValue(tenantId);
            writer.WriteStringValue(modelId.ToLowerInvariant());
            if (native is not null)
            {
                // Absent for a chat completion, so its keys are what they were.
                writer.WriteStartArray();
                writer.WriteStringValue(native.Dialect.ToString());
                writer.WriteStringValue(native.Version);
                writer.WriteStringValue(native.Beta);
                writer.WriteBooleanValue(native.BetaEndpoint);
                writer.WriteEndArray();
            }

            WriteCanonical(writer, root, topLevel: true);
            writer.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(canonical.WrittenSpan));
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element, bool topLevel = false)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject()
                    .Where(p => !topLevel || p.Name is not ("model" or "stream" or "stream_options" or "user"))
                    .OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
