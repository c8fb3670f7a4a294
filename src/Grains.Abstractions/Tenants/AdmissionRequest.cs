namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>A request's worst case: prompt tokens counted by the tokenizer plus the most output it may produce.</summary>
[GenerateSerializer, Immutable, Alias("gw.AdmissionRequest")]
public sealed record AdmissionRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Model,
    [property: Id(2)] int PromptTokens,
    [property: Id(3)] int MaxOutputTokens);
