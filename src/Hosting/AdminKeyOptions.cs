namespace Gateway.Hosting;

/// <summary>The operator's key for the admin API and the dashboard (configuration <c>Gateway:AdminKey</c>, environment <c>Gateway__AdminKey</c>).</summary>
public sealed class AdminKeyOptions
{
    public const string Section = "Gateway";

    public string? AdminKey { get; set; }
}
