using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Gateway.MockProvider;

/// <summary>The routes besides chat completions: model list, stats, fault queues, hold gate and health.</summary>
internal static class MockControlEndpoints
{
    private static readonly string[] _modelIds = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "mock-model"];
    private static readonly byte[] _modelsJson = BuildModelsJson();

    public static async Task ModelsAsync(HttpContext context, IOptions<MockProviderOptions> options)
    {
        if (!MockAuthorization.IsAuthorized(context.Request, options.Value.ApiKey))
        {
            await OpenAiError.WriteUnauthorizedAsync(context);
            return;
        }

        context.Response.ContentType = "application/json";
        context.Response.ContentLength = _modelsJson.Length;
        await context.Response.Body.WriteAsync(_modelsJson, context.RequestAborted);
    }

    public static Task HealthAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync("ok", context.RequestAborted);
    }

    /// <summary>The totals over every deployment, then <c>byDeployment</c> with each named deployment's own stats.</summary>
    public static async Task GetStatsAsync(HttpContext context, MockProviderStats stats, MockDeployments deployments)
    {
        context.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, MockJson.WriterOptions))
        {
            json.WriteStartObject();
            WriteStats(json, stats);
            json.WriteStartObject("byDeployment"u8);
            foreach (var (name, deployment) in deployments.Named)
            {
                json.WriteStartObject(name);
                WriteStats(json, deployment.Stats);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>One deployment's stats, shaped as the totals of <c>GET /mock/stats</c>.</summary>
    public static async Task GetDeploymentStatsAsync(HttpContext context, MockDeployment deployment)
    {
        context.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, MockJson.WriterOptions))
        {
            json.WriteStartObject();
            WriteStats(json, deployment.Stats);
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static void WriteStats(Utf8JsonWriter json, MockProviderStats stats)
    {
        WriteCounters(json, stats.Total);
        json.WriteNumber("inFlight"u8, stats.InFlight);
        json.WriteNumber("peakInFlight"u8, stats.PeakInFlight);
        json.WriteNumber("busySeconds"u8, stats.BusySeconds);
        WriteCountersBy(json, "byModel"u8, stats.ByModel);
        WriteCountersBy(json, "byUser"u8, stats.ByUser);
    }

    private static void WriteCountersBy(
        Utf8JsonWriter json, ReadOnlySpan<byte> name, IReadOnlyDictionary<string, MockUsageCounters> counters)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in counters)
        {
            json.WriteStartObject(key);
            WriteCounters(json, value);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    public static Task CloseHoldAsync(HttpContext context, MockHold hold)
    {
        hold.Close();
        return WriteHoldAsync(context, hold);
    }

    public static Task OpenHoldAsync(HttpContext context, MockHold hold)
    {
        hold.Open();
        return WriteHoldAsync(context, hold);
    }

    public static async Task WriteHoldAsync(HttpContext context, MockHold hold)
    {
        context.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, MockJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteBoolean("closed"u8, hold.IsClosed);
            json.WriteNumber("waiting"u8, hold.Waiting);
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>Zeroes the totals and every deployment's stats.</summary>
    public static Task ResetStatsAsync(HttpContext context, MockDeployments deployments)
    {
        deployments.ResetStats();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    public static Task ResetDeploymentStatsAsync(HttpContext context, MockDeployment deployment)
    {
        deployment.Stats.Reset();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    public static async Task EnqueueFaultsAsync(HttpContext context, MockFaultQueue faults)
    {
        if (await MockJson.ReadBodyAsync(context) is not { } document)
        {
            return;
        }

        using (document)
        {
            if (!MockFaultJson.TryParse(document.RootElement, out var fault, out var count, out var error))
            {
                await OpenAiError.WriteInvalidRequestAsync(context, error);
                return;
            }

            faults.Enqueue(fault, count);
        }

        await WritePendingAsync(context, faults);
    }

    public static Task GetFaultsAsync(HttpContext context, MockFaultQueue faults) => WritePendingAsync(context, faults);

    public static Task ClearFaultsAsync(HttpContext context, MockFaultQueue faults)
    {
        faults.Clear();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static async Task WritePendingAsync(HttpContext context, MockFaultQueue faults)
    {
        context.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, MockJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("pending"u8, faults.Count);
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static void WriteCounters(Utf8JsonWriter json, MockUsageCounters counters)
    {
        json.WriteNumber("requests"u8, counters.Requests);
        json.WriteNumber("promptTokens"u8, counters.PromptTokens);
        json.WriteNumber("completionTokens"u8, counters.CompletionTokens);
    }

    private static byte[] BuildModelsJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, MockJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("object"u8, "list"u8);
            json.WriteStartArray("data"u8);
            foreach (var id in _modelIds)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, id);
                json.WriteString("object"u8, "model"u8);
                json.WriteNumber("created"u8, 0);
                json.WriteString("owned_by"u8, "mock"u8);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
