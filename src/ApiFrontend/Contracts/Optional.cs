using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.ApiFrontend.Contracts;

/// <summary>
/// A field of a request body that is either absent or given, with a value that may be null: what a PATCH needs to tell
/// "leave it alone" (absent) from "reset it" (null). <see cref="OptionalFields"/> binds it, so that the serializer and the
/// API document see a plain <typeparamref name="T"/> field.
/// </summary>
public readonly record struct Optional<T>(bool IsSet, T Value)
{
    public static Optional<T> Absent => default;

    public static Optional<T> Of(T value) => new(true, value);

    /// <summary>The same field as a member of a partial update.</summary>
    public Patch<T> ToPatch() => IsSet ? Patch<T>.To(Value) : Patch<T>.Absent;
}
