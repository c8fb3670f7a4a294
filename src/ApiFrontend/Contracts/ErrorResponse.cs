namespace Gateway.ApiFrontend.Contracts;

/// <summary>OpenAI's error JSON, <c>{"error":{"message","type","param","code"}}</c>, as every error answers (for the API document).</summary>
public sealed record ErrorResponse(ErrorDetail Error);

public sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);
