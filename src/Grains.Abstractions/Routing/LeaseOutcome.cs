namespace Gateway.Grains.Abstractions.Routing;

/// <summary>What a deployment's capacity grain did with a lease call.</summary>
[GenerateSerializer, Alias("gw.LeaseOutcome")]
public enum LeaseOutcome
{
    /// <summary>The report was taken and what was needed (if anything) granted, with <see cref="LeaseResponse.Granted"/>.</summary>
    Granted = 0,

    /// <summary>The report was taken but the need could not be met; see the refusal and retry-after.</summary>
    Refused = 1,

    /// <summary>
    /// The grain does not know this lease (it expired, or the grain was reactivated): the pool must drop its spare
    /// capacity and register again under a new lease id, claiming only the requests it is running.
    /// </summary>
    Expired = 2,

    /// <summary>An older call of this lease arrived after a newer one and was ignored.</summary>
    Stale = 3,
}
