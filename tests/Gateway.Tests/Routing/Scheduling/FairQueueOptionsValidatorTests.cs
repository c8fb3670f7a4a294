using Gateway.Grains.Routing.Scheduling;

namespace Gateway.Tests.Routing.Scheduling;

/// <summary>Queue bounds that cannot work stop the process at start with a message naming the setting; the defaults pass.</summary>
public sealed class FairQueueOptionsValidatorTests
{
    [Fact]
    public void TheDefaultsAreValid() =>
        Assert.True(new FairQueueOptionsValidator().Validate(null, new FairQueueOptions()).Succeeded);

    [Fact]
    public void EachFailureNamesItsSetting()
    {
        var result = new FairQueueOptionsValidator().Validate(null, new FairQueueOptions { QueueTimeout = TimeSpan.Zero, MaxQueuedPerTenant = 0, MaxQueuedPerDeployment = -1, Policy = (SchedulingPolicy)7 });

        Assert.Equal(
            [
                "Gateway:Scheduling:QueueTimeout (00:00:00) must be a positive duration, such as 00:00:30.",
                "Gateway:Scheduling:MaxQueuedPerTenant (0) must be positive.",
                "Gateway:Scheduling:MaxQueuedPerDeployment (-1) must be at least Gateway:Scheduling:MaxQueuedPerTenant (0); raise the one or lower the other.",
                "Gateway:Scheduling:Policy (7) must be Fair or Fifo.",
            ],
            result.Failures);
    }
}
