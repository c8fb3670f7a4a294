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
        var result = new FairQueueOptionsValidator().Validate(null, new FairQueueOptions { QueueTimeout = TimeSpan.Zero, MaxQueuedPerTenant = 0, MaxQueuedPerDeployment = -1, Pacing = 1.5, Policy = (SchedulingPolicy)7 });

        Assert.Equal(
            [
                "Gateway:Scheduling:QueueTimeout (00:00:00) must be a positive duration, such as 00:00:30.",
                "Gateway:Scheduling:MaxQueuedPerTenant (0) must be positive.",
                "Gateway:Scheduling:MaxQueuedPerDeployment (-1) must be at least Gateway:Scheduling:MaxQueuedPerTenant (0); raise the one or lower the other.",
                "Gateway:Scheduling:Pacing (1.5) must be from 0 (freed slots handed on at once) to 1 (no faster than the deployment's own rate), such as 0.5.",
                "Gateway:Scheduling:Policy (7) must be Fair or Fifo.",
            ],
            result.Failures);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void PacingOutsideZeroToOneIsRefused(double pacing) =>
        Assert.False(new FairQueueOptionsValidator().Validate(null, new FairQueueOptions { Pacing = pacing }).Succeeded);
}
