using System.Text.Json.Nodes;
using Gateway.ApiFrontend.Apis;
using Gateway.ApiFrontend.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace Gateway.Tests.Http;

/// <summary>
/// An exception no handler expected, through the frontend's own request-id and error middleware: the answer is in the
/// endpoint's error shape (a 503 to retry when the cluster could not be reached, a 500 otherwise) and still names its
/// request in <c>x-request-id</c>, which the exception handler's clearing of the response used to drop.
/// </summary>
public sealed class UnhandledErrorTests
{
    [Theory]
    [InlineData("/v1/fails", "timeout", 503, "gateway_unavailable")]
    [InlineData("/v1/fails", "cluster", 503, "gateway_unavailable")]
    [InlineData("/v1/fails", "bug", 500, "internal_error")]
    [InlineData("/v1/messages", "cluster", 503, "api_error")]
    [InlineData("/v1/messages", "bug", 500, "api_error")]
    public async Task TheAnswerIsInTheEndpointsErrorShapeAndNamesItsRequest(string path, string thrown, int status, string kind)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        app.UseRequestIds();
        app.UseOpenAiErrorsForExceptions();
        app.MapGet(path, (HttpContext context) => Fail(thrown, context));
        await app.StartAsync();
        using var client = app.GetTestClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.StartsWith("req_", Assert.Single(response.Headers.GetValues(RequestIds.Header)), StringComparison.Ordinal);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(kind, (path == "/v1/messages" ? error["type"] : error["code"])!.GetValue<string>());
    }

    private static IResult Fail(string thrown, HttpContext context)
    {
        context.Response.Headers["x-half-written"] = "yes";
        throw thrown switch
        {
            "timeout" => new TimeoutException(),
            "cluster" => new OrleansException("The silo went away."),
            _ => new InvalidOperationException("A bug."),
        };
    }
}
