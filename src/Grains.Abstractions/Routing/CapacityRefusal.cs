namespace Gateway.Grains.Abstractions.Routing;

/// <summary>Why a deployment has no capacity for a request now.</summary>
[GenerateSerializer, Alias("gw.CapacityRefusal")]
public enum CapacityRefusal
{
    None = 0,

    /// <summary>All of the deployment's concurrency slots are in use or leased.</summary>
    Concurrency = 1,

    /// <summary>The requests-per-minute bucket is empty.</summary>
    Requests = 2,

    /// <summary>The tokens-per-minute bucket holds fewer tokens than the request's worst case.</summary>
    Tokens = 3,

    /// <summary>The request's worst case exceeds the whole tokens-per-minute limit: waiting never helps.</summary>
    TooLarge = 4,

    /// <summary>The deployment's capacity grain could not be reached; refused rather than admitted blind.</summary>
    Unavailable = 5,

    /// <summary>The tenant has as many requests waiting in the deployment's queue as it may.</summary>
    TenantQueueFull = 6,

    /// <summary>The deployment's queue holds as many waiting requests as it may.</summary>
    QueueFull = 7,

    /// <summary>The request waited in the deployment's queue for the queue timeout.</summary>
    QueueTimeout = 8,
}
