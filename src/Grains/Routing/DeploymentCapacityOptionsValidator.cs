using Microsoft.Extensions.Options;

namespace Gateway.Grains.Routing;

/// <summary>Checks at start that the lease intervals can work together.</summary>
internal sealed class DeploymentCapacityOptionsValidator : IValidateOptions<DeploymentCapacityOptions>
{
    private const string Section = DeploymentCapacityOptions.Section;

    public ValidateOptionsResult Validate(string? name, DeploymentCapacityOptions options)
    {
        if (options.LeaseTimeToLive <= TimeSpan.Zero || options.RenewInterval <= TimeSpan.Zero
            || options.IdleReturn <= TimeSpan.Zero || options.BusyRetryAfter <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{Section}:LeaseTimeToLive, RenewInterval, IdleReturn and BusyRetryAfter must all be positive durations.");
        }

        // A pool draws on its spare for half the time-to-live after a renewal; it must renew well within that.
        return options.RenewInterval * 4 > options.LeaseTimeToLive
            ? ValidateOptionsResult.Fail($"{Section}:RenewInterval ({options.RenewInterval}) must be at most a quarter of {Section}:LeaseTimeToLive ({options.LeaseTimeToLive}); shorten the one or lengthen the other.")
            : ValidateOptionsResult.Success;
    }
}
