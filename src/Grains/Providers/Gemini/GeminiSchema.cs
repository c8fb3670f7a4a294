using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Grains.Providers.Translation;

namespace Gateway.Grains.Providers.Gemini;

/// <summary>
/// A JSON schema (a tool's <c>parameters</c>, a <c>json_schema</c> response format) as Gemini's <c>Schema</c>, the subset
/// of OpenAPI 3.0 that <c>parameters</c> and <c>responseSchema</c> take on every Gemini model: <c>type</c>,
/// <c>format</c>, <c>title</c>, <c>description</c>, <c>nullable</c>, <c>enum</c>, <c>items</c>, <c>minItems</c>,
/// <c>maxItems</c>, <c>properties</c>, <c>required</c>, <c>propertyOrdering</c>, <c>minProperties</c>,
/// <c>maxProperties</c>, <c>minLength</c>, <c>maxLength</c>, <c>pattern</c>, <c>example</c>, <c>anyOf</c>,
/// <c>default</c>, <c>minimum</c>, <c>maximum</c>. Gemini refuses a request with any other keyword, so:
/// <list type="bullet">
/// <item>local references (<c>#/$defs/...</c>, <c>#/definitions/...</c>) are inlined; a recursive one cannot be, and is refused;</item>
/// <item><c>type: [T, "null"]</c> becomes <c>type: T</c> with <c>nullable</c>, several types an <c>anyOf</c>;
/// <c>{"type":"null"}</c> in an <c>anyOf</c> becomes <c>nullable</c>; <c>oneOf</c> becomes <c>anyOf</c>, the nearest
/// Gemini has; an <c>allOf</c> of one schema (how generators attach a description to a reference) is that schema;</item>
/// <item><c>const</c> becomes a one-value <c>enum</c>; enum values are strings in Gemini (numbers as their text);</item>
/// <item><c>format</c> stays only when the Gemini API takes it (<c>enum</c>, <c>date-time</c>, <c>float</c>,
/// <c>double</c>, <c>int32</c>, <c>int64</c>; other formats are refused by the Gemini Developer API);</item>
/// <item>everything else (<c>$schema</c>, <c>additionalProperties</c>, <c>$defs</c>, <c>$id</c>, <c>allOf</c> of
/// several, <c>not</c>, <c>exclusiveMinimum</c>, <c>patternProperties</c>, <c>examples</c>, <c>strict</c>, ...) is
/// removed: it only narrows what the model may produce, so the model sees a looser schema, never a wrong one.</item>
/// </list>
/// Schemas are small: they are converted through <see cref="JsonNode"/>, which merging needs.
/// </summary>
internal static class GeminiSchema
{
    private static readonly HashSet<string> Copied =
    [
        "title", "description", "pattern", "example", "default", "propertyOrdering",
        "minItems", "maxItems", "minProperties", "maxProperties", "minLength", "maxLength", "minimum", "maximum",
    ];

    private static readonly HashSet<string> Formats = ["enum", "date-time", "float", "double", "int32", "int64"];

    /// <summary>Converts <paramref name="schema"/>; <paramref name="param"/> names it in a refusal.</summary>
    public static TranslationRefusal? Convert(JsonElement schema, string param, out JsonObject converted)
    {
        var context = new Context(schema, param);
        converted = context.Convert(schema);
        return context.Refusal;
    }

    private sealed class Context(JsonElement root, string param)
    {
        // The references being inlined, innermost last: one met again is a recursion.
        private readonly List<string> _inlining = [];

        public TranslationRefusal? Refusal { get; private set; }

        public JsonObject Convert(JsonElement schema)
        {
            var result = new JsonObject();
            if (schema.ValueKind != JsonValueKind.Object || Refusal is not null)
            {
                // A boolean schema (true: anything) has no Gemini form; no keyword is the nearest.
                return result;
            }

            if (schema.TryGetProperty("$ref", out var reference) && reference.ValueKind == JsonValueKind.String)
            {
                result = Inline(reference.GetString()!);
            }
            else if (schema.TryGetProperty("allOf", out var all) && all.ValueKind == JsonValueKind.Array && all.GetArrayLength() == 1)
            {
                result = Convert(all[0]);
            }

            foreach (var property in schema.EnumerateObject())
            {
                var value = property.Value;
                switch (property.Name)
                {
                    case "type":
                        ConvertType(value, result);
                        break;
                    case "nullable" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                        result["nullable"] = value.ValueKind == JsonValueKind.True;
                        break;
                    case "format" when value.ValueKind == JsonValueKind.String && Formats.Contains(value.GetString()!):
                        result["format"] = value.GetString();
                        break;
                    case "const":
                        ConvertEnum([value], result);
                        break;
                    case "enum" when value.ValueKind == JsonValueKind.Array:
                        ConvertEnum([.. value.EnumerateArray()], result);
                        break;
                    case "properties" when value.ValueKind == JsonValueKind.Object:
                        var properties = new JsonObject();
                        foreach (var member in value.EnumerateObject())
                        {
                            properties[member.Name] = Convert(member.Value);
                        }

                        result["properties"] = properties;
                        break;
                    case "required" when value.ValueKind == JsonValueKind.Array:
                        result["required"] = new JsonArray([.. value.EnumerateArray().Where(name => name.ValueKind == JsonValueKind.String).Select(name => JsonValue.Create(name.GetString()))]);
                        break;
                    case "items" when value.ValueKind == JsonValueKind.Object:
                        result["items"] = Convert(value);
                        break;
                    case "items" or "prefixItems" when value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0:
                        // A tuple has no Gemini form: its elements may be any of the tuple's schemas.
                        result["items"] = AnyOf(value);
                        break;
                    case "anyOf" or "oneOf" when value.ValueKind == JsonValueKind.Array:
                        ConvertAnyOf(value, result);
                        break;
                    default:
                        if (Copied.Contains(property.Name))
                        {
                            result[property.Name] = JsonNode.Parse(value.GetRawText());
                        }

                        break;
                }
            }

            return result;
        }

        private JsonObject Inline(string reference)
        {
            var target = Resolve(reference);
            if (target.ValueKind != JsonValueKind.Object)
            {
                Refusal ??= TranslationRefusal.UnsupportedValue($"'{param}' refers to '{reference}', which is not a definition of the same schema ('#/$defs/...').", param);
                return [];
            }

            if (_inlining.Contains(reference))
            {
                Refusal ??= TranslationRefusal.UnsupportedValue($"'{param}' is recursive ('{reference}'): Gemini takes no recursive schema.", param);
                return [];
            }

            _inlining.Add(reference);
            var inlined = Convert(target);
            _inlining.RemoveAt(_inlining.Count - 1);
            return inlined;
        }

        private JsonElement Resolve(string reference)
        {
            if (reference == "#")
            {
                return root;
            }

            foreach (var prefix in (ReadOnlySpan<string>)["#/$defs/", "#/definitions/"])
            {
                if (reference.StartsWith(prefix, StringComparison.Ordinal)
                    && root.TryGetProperty(prefix[2..^1], out var definitions) && definitions.ValueKind == JsonValueKind.Object
                    && definitions.TryGetProperty(reference[prefix.Length..], out var target))
                {
                    return target;
                }
            }

            return default;
        }

        private JsonObject AnyOf(JsonElement schemas)
        {
            var result = new JsonObject();
            ConvertAnyOf(schemas, result);
            return result;
        }

        // {"type":"null"} among the alternatives is nullable; a single alternative left is merged in.
        private void ConvertAnyOf(JsonElement schemas, JsonObject result)
        {
            var alternatives = new List<JsonObject>();
            foreach (var schema in schemas.EnumerateArray())
            {
                if (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("null"u8))
                {
                    result["nullable"] = true;
                }
                else
                {
                    alternatives.Add(Convert(schema));
                }
            }

            if (alternatives.Count == 1)
            {
                foreach (var (name, value) in alternatives[0].ToList())
                {
                    alternatives[0].Remove(name);
                    result.TryAdd(name, value);
                }
            }
            else if (alternatives.Count > 1)
            {
                result["anyOf"] = new JsonArray([.. alternatives]);
            }
        }

        private static void ConvertType(JsonElement type, JsonObject result)
        {
            if (type.ValueKind == JsonValueKind.String)
            {
                if (type.ValueEquals("null"u8))
                {
                    result["nullable"] = true;
                }
                else
                {
                    result["type"] = type.GetString();
                }

                return;
            }

            if (type.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            var types = new List<string>();
            var nullable = false;
            foreach (var name in type.EnumerateArray())
            {
                if (name.ValueKind == JsonValueKind.String && name.ValueEquals("null"u8))
                {
                    nullable = true;
                }
                else if (name.ValueKind == JsonValueKind.String)
                {
                    types.Add(name.GetString()!);
                }
            }

            if (types.Count == 1)
            {
                result["type"] = types[0];
            }
            else if (types.Count > 1)
            {
                result["anyOf"] = new JsonArray([.. types.Select(name => new JsonObject { ["type"] = name })]);
            }

            if (nullable)
            {
                result["nullable"] = true;
            }
        }

        private static void ConvertEnum(List<JsonElement> values, JsonObject result)
        {
            var strings = new JsonArray();
            foreach (var value in values)
            {
                if (value.ValueKind == JsonValueKind.String)
                {
                    strings.Add(value.GetString());
                }
                else if (value.ValueKind == JsonValueKind.Number)
                {
                    strings.Add(value.GetRawText());
                }
                else if (value.ValueKind == JsonValueKind.Null)
                {
                    result["nullable"] = true;
                }
            }

            if (strings.Count > 0)
            {
                result["enum"] = strings;
            }
        }
    }
}
