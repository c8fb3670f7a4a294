using Microsoft.Extensions.Options;

namespace Gateway.Grains.Routing.Scheduling;

/// <summary>Refuses to start with queue bounds that cannot work, naming the setting to fix.</summary>
internal sealed class FairQueueOptionsValidator : IValidateOptions<FairQueueOptions>
{
    private const string Section = FairQueueOptions.Section;

    public ValidateOptionsResult Validate(string? name, FairQueueOptions options)
    {
        var failures = new List<string>();
        if (options.QueueTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:QueueTimeout ({options.QueueTimeout}) must be a positive duration, such as 00:00:30.");
        }

        if (options.MaxQueuedPerTenant <= 0)
        {
            failures.Add($"{Section}:MaxQueuedPerTenant ({options.MaxQueuedPerTenant}) must be positive.");
        }

        if (options.MaxQueuedPerDeployment < options.MaxQueuedPerTenant)
        {
            failures.Add($"{Section}:MaxQueuedPerDeployment ({options.MaxQueuedPerDeployment}) must be at least {Section}:MaxQueuedPerTenant ({options.MaxQueuedPerTenant}); raise the one or lower the other.");
        }

        if (!(options.Pacing >= 0 && options.Pacing <= 1))
        {
            failures.Add($"{Section}:Pacing ({options.Pacing}) must be from 0 (freed slots handed on at once) to 1 (no faster than the deployment's own rate), such as 0.5.");
        }

        if (!Enum.IsDefined(options.Policy))
        {
            failures.Add($"{Section}:Policy ({options.Policy}) must be Fair or Fifo.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
