using System.Net.Http.Headers;
using Gateway.Catalog.Buffers;
using Gateway.Grains.Providers;
using Gateway.Grains.Upstream;

namespace Gateway.Tests.Upstream;

/// <summary>
/// A provider's body read into pooled buffers: whole whatever its size and framing (with a Content-Length, without one,
/// in reads of one byte), refused or cut at the bound exactly, and the same bytes as sent.
/// </summary>
public sealed class UpstreamBodyTests
{
    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(400, true)]
    [InlineData(400, false)]
    [InlineData(16 * 1024, false)]
    [InlineData(16 * 1024 + 1, false)]
    [InlineData(200_000, false)]
    [InlineData(200_000, true)]
    public async Task ABodyUnderTheBoundIsReadWholeWithOrWithoutItsLength(int size, bool withLength)
    {
        var body = Body(size);
        var read = await ReadAsync(Content(body, withLength, chunk: 7919), max: 1_000_000, truncate: false);
        Assert.Equal(body, read);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ABodyOfExactlyTheBoundIsWholeAndOneByteMoreIsRefusedOrCut(bool withLength)
    {
        var body = Body(5_000);
        Assert.Equal(body, await ReadAsync(Content(body, withLength, chunk: 1), max: 5_000, truncate: false));
        Assert.Null(await ReadAsync(Content(Body(5_001), withLength, chunk: 1), max: 5_000, truncate: false));
        Assert.Equal(Body(5_001)[..5_000], await ReadAsync(Content(Body(5_001), withLength, chunk: 1), max: 5_000, truncate: true));
    }

    [Fact]
    public async Task ALengthLargerThanTheBoundIsRefusedBeforeReading()
    {
        var content = Content(Body(10), withLength: true, chunk: 10);
        content.Headers.ContentLength = 10_000;
        Assert.Null(await ReadAsync(content, max: 100, truncate: false));
    }

    [Fact]
    public void APooledWriterKeepsWhatWasWrittenAsItGrows()
    {
        using var writer = new PooledBufferWriter(1);
        var expected = new List<byte>();
        for (var i = 0; i < 3_000; i++)
        {
            var span = writer.GetSpan(i % 50);
            Assert.True(span.Length >= Math.Max(i % 50, 1));
            span[0] = (byte)i;
            writer.Advance(1);
            expected.Add((byte)i);
        }

        Assert.Equal(expected, writer.WrittenSpan.ToArray());
        Assert.Equal(3_000, writer.WrittenCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(writer.GetSpan().Length + 1));
        writer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => writer.GetSpan());
    }

    private static byte[] Body(int size) => [.. Enumerable.Range(0, size).Select(i => (byte)(i * 31 + 7))];

    private static HttpContent Content(byte[] body, bool withLength, int chunk)
    {
        var content = new StreamContent(new TrickleStream(body, chunk));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentLength = withLength ? body.Length : null;
        return content;
    }

    private static async Task<byte[]?> ReadAsync(HttpContent content, long max, bool truncate)
    {
        using var timeouts = new UpstreamTimeouts(new ProviderOptions(), TimeProvider.System, CancellationToken.None);
        return await UpstreamBody.ReadAsync(content, max, timeouts, truncate);
    }

    /// <summary>A body that comes at most <c>chunk</c> bytes a read, as a network delivers it.</summary>
    private sealed class TrickleStream(byte[] body, int chunk) : MemoryStream(body, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
