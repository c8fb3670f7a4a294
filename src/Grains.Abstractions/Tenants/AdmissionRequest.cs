namespace Gateway.Grains.Abstractions.Tenants;

/// <summary>
/// A request's worst case: prompt tokens counted by the tokenizer plus the most output it may produce
/// (<see cref="MaxOutputTokens"/>, for the requested model). For the fallbacks of the model, the output limit is
/// <see cref="RequestedOutputTokens"/> per choice when the client set one, else each fallback's own cap.
/// </summary>
[GenerateSerializer, Immutable, Alias("gw.AdmissionRequest")]
public sealed record AdmissionRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Model,
    [property: Id(2)] int PromptTokens,
    [property: Id(3)] int MaxOutputTokens,
    [property: Id(4)] int? RequestedOutputTokens = null,
    [property: Id(5)] int Choices = 1);
