namespace Gateway.MockProvider;

/// <summary>
/// What the native provider endpoints (Anthropic's messages, Gemini's generateContent) do alike before their answer: wait
/// at the hold, take the deployment's next fault, apply the latency, reset or stall before the headers, and answer an
/// injected failure status in the provider's own error shape. The rest of the fault (garbage, cuts, missing usage) is the
/// endpoint's, as each provider's body fails differently.
/// </summary>
/// <param name="Fault">The deployment's fault taken for this request, if any.</param>
/// <param name="Kind">Its kind (<see cref="MockFaultKind.None"/> without one).</param>
/// <param name="ChunkDelay">The delay between stream chunks: the request's directive, else the deployment's, else the mock's.</param>
/// <param name="CutAfterChunks">After how many chunks the connection is cut: the request's directive, else the fault's.</param>
internal readonly record struct MockAttempt(MockFault? Fault, MockFaultKind Kind, TimeSpan ChunkDelay, int? CutAfterChunks)
{
    /// <summary>The attempt, or null when it was already answered (a failure, a reset) or the client went away.</summary>
    public static async Task<MockAttempt?> BeginAsync(
        HttpContext context,
        MockProviderOptions settings,
        MockDeployment deployment,
        MockHold hold,
        MockDirectives directives,
        Func<HttpContext, int, int?, int?, MockErrorBody, string?, Task> writeFailure,
        ILogger logger)
    {
        var aborted = context.RequestAborted;
        if (!await hold.PassAsync(aborted))
        {
            return null;
        }

        deployment.Faults.TryDequeue(out var fault);
        var kind = fault?.Kind ?? MockFaultKind.None;
        var latency = directives.LatencyMs is int latencyMs ? TimeSpan.FromMilliseconds(latencyMs) : fault?.Latency ?? deployment.Latency ?? settings.Latency;
        var chunkDelay = directives.ChunkDelayMs is int chunkDelayMs ? TimeSpan.FromMilliseconds(chunkDelayMs) : deployment.ChunkDelay ?? settings.ChunkDelay;
        var failStatus = directives.FailStatus ?? fault?.Status;
        var cutAfterChunks = directives.CutAfterChunks ?? fault?.CutAfterChunks;

        if (latency > TimeSpan.Zero && !await MockConnection.StallAsync(latency, aborted))
        {
            return null;
        }

        if (kind == MockFaultKind.ResetBeforeHeaders)
        {
            MockConnection.Reset(context, logger);
            return null;
        }

        if (kind == MockFaultKind.StallBeforeHeaders && !await MockConnection.StallAsync(fault!.Stall, aborted))
        {
            return null;
        }

        if (failStatus is int status)
        {
            await writeFailure(context, status, directives.RetryAfter ?? fault?.RetryAfterSeconds, fault?.RetryAfterMilliseconds,
                fault?.ErrorBody ?? MockErrorBody.Json, fault?.Message);
            return null;
        }

        return new MockAttempt(fault, kind, chunkDelay, cutAfterChunks);
    }
}
