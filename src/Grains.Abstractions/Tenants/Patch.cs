namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>One member of a partial update: absent, or set to a value (which may be null).</summary>
[GenerateSerializer, Immutable, Alias("gw.Patch`1")]
public readonly record struct Patch<T>([property: Id(0)] bool IsSet, [property: Id(1)] T Value)
{
    public static Patch<T> Absent => default;

    public static Patch<T> To(T value) => new(true, value);

    public T ApplyTo(T current) => IsSet ? Value : current;
}
