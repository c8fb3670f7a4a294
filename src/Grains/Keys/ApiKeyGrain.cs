using Gateway.Grains.Abstractions.Keys;

namespace Gateway.Grains.Keys;

/// <summary>One issued key, keyed by its hash: which tenant it belongs to and whether it was revoked.</summary>
public sealed class ApiKeyGrain(
    [PersistentState("key", StorageNames.Keys)] IPersistentState<ApiKeyRecord?> state) : Grain, IApiKeyGrain
{
    public async Task RegisterAsync(ApiKeyRecord record)
    {
        state.State = record;
        await state.WriteStateAsync();
    }

    public async Task RevokeAsync()
    {
        if (state.RecordExists && state.State is { Revoked: false } record)
        {
            state.State = record with { Revoked = true };
            await state.WriteStateAsync();
        }
    }

    // A key never issued has no record, but the storage bridge still hands out a default-constructed State
    // (TenantId null, Revoked false), which would otherwise resolve as a live key of no tenant.
    public Task<ApiKeyRecord?> ResolveAsync() => Task.FromResult(state.RecordExists ? state.State : null);
}
