using System.Text;
using System.Text.Json;
using Gateway.ApiFrontend.Chat;

namespace Gateway.Tests.Chat;

/// <summary>The chat body as the provider gets it: without <c>model</c>, everything else as sent, and a stream asking for usage.</summary>
public sealed class UpstreamChatBodyTests
{
    [Fact]
    public void DropsTheModelAndCopiesEveryOtherMemberInOrder()
    {
        var body = Write("{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":7,\"tools\":[{\"type\":\"function\"}],\"stream_options\":{\"include_usage\":false}}", stream: false);

        Assert.Equal("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":7,\"tools\":[{\"type\":\"function\"}],\"stream_options\":{\"include_usage\":false}}", body);
    }

    [Fact]
    public void AStreamAsksForTheUsageChunkWhenTheClientDidNot()
    {
        var body = Write("{\"model\":\"gpt-4.1\",\"stream\":true,\"messages\":[]}", stream: true);

        Assert.Equal("{\"stream\":true,\"messages\":[],\"stream_options\":{\"include_usage\":true}}", body);
    }

    [Fact]
    public void AStreamKeepsTheClientsOtherStreamOptionsInPlace()
    {
        var body = Write("{\"stream_options\":{\"include_usage\":false,\"continuous_usage_stats\":true},\"model\":\"gpt-4.1\",\"stream\":true}", stream: true);

        Assert.Equal("{\"stream_options\":{\"continuous_usage_stats\":true,\"include_usage\":true},\"stream\":true}", body);
    }

    private static string Write(string json, bool stream)
    {
        using var document = JsonDocument.Parse(json);
        return Encoding.UTF8.GetString(UpstreamChatBody.Write(document.RootElement, stream));
    }
}
