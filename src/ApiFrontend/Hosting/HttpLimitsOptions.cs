using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Gateway.ApiFrontend.Hosting;

/// <summary>
/// The HTTP limits, set on purpose rather than left at Kestrel's defaults (configuration <c>Gateway:Http</c>). A request
/// over a header or request-line limit is refused by the gateway in the API's error shape (431, or 414 for the request
/// line; <see cref="HttpLimitsMiddleware"/>); Kestrel's own limits are <see cref="KestrelMargin"/> times these, and only a
/// request beyond those is refused by Kestrel itself, with its bodiless answer, before the gateway sees it.
/// </summary>
public sealed class HttpLimitsOptions
{
    public const string Section = "Gateway:Http";

    /// <summary>All request headers together: 16 KiB (an API key is under 100 bytes; Kestrel's default is 32 KiB).</summary>
    public int MaxRequestHeadersTotalSize { get; set; } = 16 * 1024;

    /// <summary>How many request headers: 64.</summary>
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>The request line (method, path and query): 8 KiB.</summary>
    public int MaxRequestLineSize { get; set; } = 8 * 1024;

    /// <summary>How long a client may take to send its headers: 10 s.</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The slowest body a client may send, in bytes per second after <see cref="MinRequestBodyGracePeriod"/>: 1,024.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 1024;

    /// <summary>How long a body may arrive slower than <see cref="MinRequestBodyBytesPerSecond"/> before it is cut off: 5 s.</summary>
    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many times the limits above Kestrel's own are: a request up to that much over them reaches the gateway, which
    /// refuses it in the API's error shape; Kestrel refuses a larger one without a body.
    /// </summary>
    public const int KestrelMargin = 4;

    private const int MaxHeaderOrLineBytes = 1024 * 1024;
    private const int MaxHeaderCount = 1000;
    private const long DiscardAfterLimitBytes = 1024 * 1024;

    /// <summary>Applies the limits, and the body limit of <see cref="FrontendOptions.MaxRequestBodyBytes"/>, to Kestrel.</summary>
    internal sealed class Apply(IOptions<HttpLimitsOptions> http, IOptions<FrontendOptions> frontend) : IConfigureOptions<KestrelServerOptions>
    {
        public void Configure(KestrelServerOptions options)
        {
            var limits = http.Value;
            options.AddServerHeader = false;
            options.Limits.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersTotalSize * KestrelMargin;
            options.Limits.MaxRequestHeaderCount = limits.MaxRequestHeaderCount * KestrelMargin;
            options.Limits.MaxRequestLineSize = limits.MaxRequestLineSize * KestrelMargin;
            options.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            options.Limits.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, limits.MinRequestBodyGracePeriod);
            // The gateway refuses a body over its limit itself (413 in its error shape) as soon as it has read that much;
            // Kestrel then reads and discards up to 1 MiB more, so that a client still sending reads its 413, and closes
            // the connection on anything larger, or on a Content-Length beyond that, without reading it.
            options.Limits.MaxRequestBodySize = frontend.Value.MaxRequestBodyBytes + DiscardAfterLimitBytes;
        }
    }

    /// <summary>Stops the start with a message naming the setting.</summary>
    internal sealed class Validator : IValidateOptions<HttpLimitsOptions>
    {
        public ValidateOptionsResult Validate(string? name, HttpLimitsOptions options)
        {
            var failures = new List<string>();
            if (options.MaxRequestHeadersTotalSize is < 1024 or > MaxHeaderOrLineBytes) failures.Add($"{Section}:MaxRequestHeadersTotalSize must be from 1024 bytes to 1 MiB.");
            if (options.MaxRequestHeaderCount is < 8 or > MaxHeaderCount) failures.Add($"{Section}:MaxRequestHeaderCount must be from 8 to {MaxHeaderCount}.");
            if (options.MaxRequestLineSize is < 256 or > MaxHeaderOrLineBytes) failures.Add($"{Section}:MaxRequestLineSize must be from 256 bytes to 1 MiB.");
            if (options.RequestHeadersTimeout <= TimeSpan.Zero) failures.Add($"{Section}:RequestHeadersTimeout must be positive.");
            if (options.MinRequestBodyBytesPerSecond <= 0) failures.Add($"{Section}:MinRequestBodyBytesPerSecond must be positive.");
            if (options.MinRequestBodyGracePeriod < TimeSpan.FromSeconds(1)) failures.Add($"{Section}:MinRequestBodyGracePeriod must be at least one second (Kestrel's minimum).");
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
