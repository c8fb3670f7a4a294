namespace Gateway.Grains.Abstractions.Upstream;

/// <summary>An upstream failure as the gateway answers it: status code and OpenAI error fields.</summary>
[GenerateSerializer, Immutable, Alias("gw.UpstreamFailure")]
public sealed record UpstreamFailure(
    [property: Id(0)] int StatusCode,
    [property: Id(1)] string Type,
    [property: Id(2)] string? Code,
    [property: Id(3)] string Message,
    [property: Id(4)] TimeSpan? RetryAfter);
