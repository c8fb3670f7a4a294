using System.Net.ServerSentEvents;
using Gateway.ApiFrontend.Errors;
using Gateway.Grains.Abstractions.Upstream;

namespace Gateway.ApiFrontend.Chat;

/// <summary>OpenAI's chat completions: the provider's JSON and chunks pass as they are, errors in OpenAI's shape, a stream ends with <c>[DONE]</c>.</summary>
public sealed class OpenAiChatDialect : ChatDialect
{
    public static OpenAiChatDialect Instance { get; } = new();

    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    public override IResult Error(OpenAiError error) => error;

    public override IResult Completion(byte[] completion, ChatRequest request, string requestId) => TypedResults.Bytes(completion, "application/json");

    public override ChatStreamRendering BeginStream(ChatRequest request, string requestId) => Rendering.Instance;

    private sealed class Rendering : ChatStreamRendering
    {
        public static Rendering Instance { get; } = new();

        public override void Chunk(byte[] data, List<SseItem<byte[]>> events) => events.Add(new SseItem<byte[]>(data));

        public override void End(List<SseItem<byte[]>> events) => events.Add(new SseItem<byte[]>(Done));

        public override SseItem<byte[]> Failure(UpstreamFailure failure)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            UpstreamErrors.For(failure).WriteTo(buffer);
            return new SseItem<byte[]>(buffer.WrittenSpan.ToArray());
        }
    }
}
