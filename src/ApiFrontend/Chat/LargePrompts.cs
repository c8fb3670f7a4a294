using System.Text.Json;
using Gateway.Grains.Abstractions.Tenants;

namespace Gateway.ApiFrontend.Chat;

/// <summary>
/// Counts a large prompt only as far as the tenant could admit it. Tokenizing megabytes costs a core for seconds; the
/// tenant first says how many prompt tokens it could admit now (nothing when its request rate, concurrency, quota or
/// budget is spent), the count stops there, and a prompt over it goes to admission with its cheap upper bound, where it is
/// refused for the limit it broke. The count stops when the client leaves.
/// </summary>
public static class LargePrompts
{
    public static async Task<ChatRequest> CountAsync(ChatRequest request, ITenantGrain tenant, string requestId, CancellationToken cancellationToken)
    {
        if (!request.PromptIsUpperBound)
        {
            return request;
        }

        var ceiling = await tenant.GetPromptCeilingAsync(
            new AdmissionRequest(requestId, request.ModelId, request.PromptTokens, request.MaxOutputTokens, request.RequestedOutputTokens, request.Choices));
        long counted;
        using (var document = JsonDocument.Parse(request.UpstreamBody))
        {
            counted = ChatRequestParser.CountPrompt(document.RootElement, ceiling, cancellationToken) + request.NativeOnlyTokens;
        }

        // Over the ceiling, the bound (never below the true count) is what admission sees: refused, or in a rare race with
        // a refill, admitted with a reservation that covers the prompt anyway.
        return request with { PromptTokens = counted <= ceiling ? (int)counted : request.PromptTokens, PromptIsUpperBound = false };
    }
}
