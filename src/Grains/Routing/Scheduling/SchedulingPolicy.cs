namespace Gateway.Grains.Routing.Scheduling;

/// <summary>The order in which a full deployment's waiting requests get its freed capacity (<c>Gateway:Scheduling:Policy</c>).</summary>
public enum SchedulingPolicy
{
    /// <summary>Weighted fair order: tenants by their weight, cost in tokens (the default).</summary>
    Fair,

    /// <summary>
    /// First come, first served, whoever sent it: one tenant's flood delays everyone behind it. For comparison (the
    /// fairness benchmark runs both) and for operators who want plain arrival order.
    /// </summary>
    Fifo,
}
