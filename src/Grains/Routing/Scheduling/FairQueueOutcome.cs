namespace Gateway.Grains.Routing.Scheduling;

/// <summary>What <see cref="FairQueue.Enqueue"/> did with a request.</summary>
internal enum FairQueueOutcome
{
    /// <summary>It waits in its tenant's place.</summary>
    Queued,

    /// <summary>Its tenant has as many requests waiting as it may (<see cref="FairQueueOptions.MaxQueuedPerTenant"/>): 429.</summary>
    TenantFull,

    /// <summary>The deployment has as many requests waiting as it may (<see cref="FairQueueOptions.MaxQueuedPerDeployment"/>): 503.</summary>
    DeploymentFull,
}
