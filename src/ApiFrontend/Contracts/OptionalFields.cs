using System.Reflection;
using System.Text.Json.Serialization.Metadata;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// A JSON contract modifier that binds <see cref="Optional{T}"/> properties: each is shown to the serializer as a plain
/// <c>T</c> property of the same name, whose setter records that the field was given (a value or null). Nested objects,
/// arrays, the paths of errors and the JSON schema of the API document therefore stay the serializer's own, which a
/// custom converter for <see cref="Optional{T}"/> would lose (a converter reads a nested object outside the
/// serializer's state, so an error inside it would no longer name the field).
/// </summary>
public static class OptionalFields
{
    private static readonly MethodInfo WrapMethod = typeof(OptionalFields).GetMethod(nameof(Wrap), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary><paramref name="resolver"/> with every <see cref="Optional{T}"/> property bound.</summary>
    public static IJsonTypeInfoResolver Bind(IJsonTypeInfoResolver resolver) => resolver.WithAddedModifier(Modify);

    private static void Modify(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        for (var i = 0; i < type.Properties.Count; i++)
        {
            var property = type.Properties[i];
            if (!property.PropertyType.IsGenericType || property.PropertyType.GetGenericTypeDefinition() != typeof(Optional<>))
            {
                continue;
            }

            // Source-generated metadata has no setter for init-only properties (they are set by the object initializer).
            var set = property.Set ?? throw new InvalidOperationException(
                $"{type.Type.Name}.{property.Name} is an Optional<T> without a public setter; give it 'set', not 'init'.");
            var valueType = property.PropertyType.GetGenericArguments()[0];
            var wrap = WrapMethod.MakeGenericMethod(valueType).CreateDelegate<Func<object?, object>>();
            var plain = type.CreateJsonPropertyInfo(valueType, property.Name);
            plain.Set = (target, value) => set(target, wrap(value));
            plain.AttributeProvider = property.AttributeProvider;
            type.Properties[i] = plain;
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "Boxed on purpose: the serializer's property setter takes object.")]
    private static object Wrap<T>(object? value) => Optional<T>.Of((T)value!);
}
