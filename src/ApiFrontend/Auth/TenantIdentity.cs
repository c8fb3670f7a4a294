namespace Gateway.ApiFrontend.Auth;

/// <summary>The tenant a request's key belongs to, once authenticated.</summary>
public sealed record TenantIdentity(string TenantId, string KeyId)
{
    private static readonly object ItemKey = new();

    public static TenantIdentity Of(HttpContext context) =>
        context.Items[ItemKey] as TenantIdentity
        ?? throw new InvalidOperationException("The endpoint is not behind the tenant key filter.");

    public void AttachTo(HttpContext context) => context.Items[ItemKey] = this;
}
