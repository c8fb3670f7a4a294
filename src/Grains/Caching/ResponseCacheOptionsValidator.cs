using Microsoft.Extensions.Options;

namespace Gateway.Grains.Caching;

/// <summary>Refuses a response cache configuration that could not work, naming the setting.</summary>
public sealed class ResponseCacheOptionsValidator : IValidateOptions<ResponseCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, ResponseCacheOptions options)
    {
        var failures = new List<string>();
        if (options.MemoryBytes <= 0)
        {
            failures.Add($"{ResponseCacheOptions.Section}:MemoryBytes must be positive (it is {options.MemoryBytes}).");
        }

        if (options.FrontBytes < 0)
        {
            failures.Add($"{ResponseCacheOptions.Section}:FrontBytes must be 0 (no in-process layer) or positive (it is {options.FrontBytes}).");
        }

        if (options.MaxEntryBytes <= 0)
        {
            failures.Add($"{ResponseCacheOptions.Section}:MaxEntryBytes must be positive (it is {options.MaxEntryBytes}).");
        }

        if (options.StoreTimeout <= TimeSpan.Zero || options.StoreTimeout > TimeSpan.FromSeconds(30))
        {
            failures.Add($"{ResponseCacheOptions.Section}:StoreTimeout must be between 00:00:00.001 and 00:00:30 (it is {options.StoreTimeout}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
