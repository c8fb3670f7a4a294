namespace Gateway.Grains.Providers.Anthropic;

/// <summary>
/// What the request translation needs to know about the upstream it writes for: the model id Anthropic knows, the
/// <c>anthropic-version</c> the call sends, the model's default and maximum output, and which features the model has.
/// </summary>
/// <param name="UpstreamModel">The model id written into the Messages request.</param>
/// <param name="ApiVersion">The <c>anthropic-version</c> header the call sends (see <see cref="AnthropicApiVersions"/>).</param>
/// <param name="DefaultMaxTokens">Sent as <c>max_tokens</c> (which Anthropic requires) when the client named none.</param>
/// <param name="MaxOutputTokens">The model's output cap: <c>max_tokens</c> raised for a thinking budget never exceeds it.</param>
/// <param name="StructuredOutputs">The model takes <c>output_config.format</c> and strict tools (Claude 4.5 and later).</param>
/// <param name="ThinkingStyle">How <c>reasoning_effort</c> becomes thinking.</param>
public sealed record AnthropicRequestOptions(
    string UpstreamModel,
    string ApiVersion,
    int DefaultMaxTokens,
    int MaxOutputTokens,
    bool StructuredOutputs = true,
    AnthropicThinkingStyle ThinkingStyle = AnthropicThinkingStyle.BudgetTokens);
