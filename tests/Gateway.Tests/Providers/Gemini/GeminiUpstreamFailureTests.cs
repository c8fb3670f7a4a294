using System.Net;
using System.Text;
using Gateway.Grains.Abstractions.Upstream;
using Gateway.Grains.Upstream;

namespace Gateway.Tests.Providers.Gemini;

/// <summary>Gemini's error statuses as the failures the retry and failover rules act on, read from Gemini's own bodies.</summary>
public sealed class GeminiUpstreamFailureTests
{
    [Theory]
    [InlineData(429, "RESOURCE_EXHAUSTED", UpstreamFailureKind.RateLimited, true)]
    [InlineData(503, "UNAVAILABLE", UpstreamFailureKind.Overloaded, true)]
    [InlineData(500, "INTERNAL", UpstreamFailureKind.ProviderError, true)]
    [InlineData(504, "DEADLINE_EXCEEDED", UpstreamFailureKind.TimedOut, true)]
    [InlineData(400, "INVALID_ARGUMENT", UpstreamFailureKind.Refused, false)]
    [InlineData(400, "FAILED_PRECONDITION", UpstreamFailureKind.AuthFailed, false)]
    [InlineData(403, "PERMISSION_DENIED", UpstreamFailureKind.AuthFailed, false)]
    public void AGeminiErrorIsTheFailureItsStatusSays(int code, string status, UpstreamFailureKind kind, bool retryable)
    {
        var failure = Read(code, $$$"""{"error":{"code":{{{code}}},"message":"Gemini says no.","status":"{{{status}}}"}}""");

        Assert.Equal(kind, failure.Kind);
        Assert.Equal(code, failure.ProviderStatus);
        Assert.Equal(retryable, UpstreamFailureRules.IsRetryable(failure));
        Assert.Equal(kind == UpstreamFailureKind.Refused ? "Gemini says no." : null, failure.ProviderMessage);
    }

    [Fact]
    public void AKeyGeminiDoesNotKnowIsTheGatewaysAuthFailureNotTheClientsInvalidArgument()
    {
        var failure = Read(400, """
            {"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
             "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}
            """);

        Assert.Equal(UpstreamFailureKind.AuthFailed, failure.Kind);
        Assert.Null(failure.ProviderMessage);
    }

    [Fact]
    public void ABodyThatIsNotAGeminiErrorIsReadByItsStatus()
    {
        Assert.Equal(UpstreamFailureKind.RateLimited, Read(429, "<html>Too many requests</html>").Kind);
    }

    private static UpstreamFailure Read(int status, string body)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status);
        return GeminiUpstream.FromStatus((HttpStatusCode)status, Encoding.UTF8.GetBytes(body), response.Headers, "gemini", DateTimeOffset.UnixEpoch);
    }
}
