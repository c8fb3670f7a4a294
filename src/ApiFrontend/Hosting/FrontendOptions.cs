namespace Gateway.ApiFrontend.Hosting;

/// <summary>How the frontend runs (configuration <c>Gateway:Frontend</c>).</summary>
public sealed class FrontendOptions
{
    public const string Section = "Gateway:Frontend";

    /// <summary>
    /// Where these settings lived before they got a section of their own. A process given one of them refuses to start
    /// rather than ignore it: a frontend meant to be a cluster client would otherwise start a silo of its own.
    /// </summary>
    private static readonly string[] MovedKeys = [nameof(Mode), nameof(MaxRequestBodyBytes), nameof(UpstreamWorkerShards), nameof(UpstreamProbeInterval)];

    /// <summary><see cref="FrontendMode.Embedded"/> co-hosts a silo; <see cref="FrontendMode.Client"/> joins a cluster as an Orleans client.</summary>
    public FrontendMode Mode { get; set; } = FrontendMode.Embedded;

    /// <summary>The largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How many upstream workers (one activation each in the cluster) the tenants are spread over, by a hash of the tenant id.</summary>
    public int UpstreamWorkerShards { get; set; } = 16;

    /// <summary>
    /// How often a pending upstream call is checked for a silo that died under it (see
    /// <see cref="Cluster.UpstreamCallWatch"/>); a dropped gateway connection triggers a check at once.
    /// </summary>
    public TimeSpan UpstreamProbeInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws, naming the new key, when <paramref name="configuration"/> sets one of these under <c>Gateway</c>.</summary>
    public static void RefuseMovedKeys(IConfiguration configuration)
    {
        var moved = MovedKeys.Where(key => configuration[$"Gateway:{key}"] is not null).Select(key => $"Gateway:{key} is now {Section}:{key} (environment Gateway__Frontend__{key}).").ToArray();
        if (moved.Length > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(FrontendOptions), moved);
        }
    }

    /// <summary>Refuses to start with settings that cannot work, naming the setting to fix.</summary>
    internal sealed class Validator : Microsoft.Extensions.Options.IValidateOptions<FrontendOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, FrontendOptions options)
        {
            var failures = new List<string>();
            if (!Enum.IsDefined(options.Mode)) failures.Add($"{Section}:Mode must be Embedded or Client.");
            if (options.MaxRequestBodyBytes < 1024) failures.Add($"{Section}:MaxRequestBodyBytes must be at least 1024 (bytes).");
            if (options.UpstreamWorkerShards is < 1 or > 4096) failures.Add($"{Section}:UpstreamWorkerShards must be between 1 and 4096.");
            if (options.UpstreamProbeInterval < TimeSpan.FromMilliseconds(100)) failures.Add($"{Section}:UpstreamProbeInterval must be at least 00:00:00.1.");
            return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
        }
    }
}
