namespace Gateway.Grains;

/// <summary>Names of the grain storage providers the grains persist to.</summary>
public static class StorageNames
{
    public const string Tenants = "tenants";
    public const string Keys = "keys";
}
