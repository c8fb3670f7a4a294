using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Tenants;

/// <summary>The tenant grain's log messages (source-generated, so a message costs nothing when its level is off).</summary>
internal static partial class TenantLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {TenantId} has tier {Tier}, which is not configured (Gateway:Tiers): its requests are refused until the tier is configured again or the tenant is moved to another.")]
    public static partial void TierNotConfigured(ILogger logger, string tenantId, string tier);
}
