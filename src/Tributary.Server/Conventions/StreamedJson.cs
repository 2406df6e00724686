using System.Buffers;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Tributary.Server.FileStorage;

namespace Tributary.Server.Conventions;

/// <summary>
/// Merge's list envelope <c>{next, previous, results}</c>, written row by row with a
/// <see cref="Utf8JsonWriter"/> straight into the response pipe: no DTO graph and no whole-page buffer
/// (a 100-row page is about 100 KB, which would otherwise land on the large object heap). Pages of
/// stored renderings (<see cref="Rendered"/>) are already in one pooled buffer and go out whole.
/// <typeparamref name="TDto"/> only documents the shape in OpenAPI, as <c>Ok&lt;Paginated&lt;TDto&gt;&gt;</c> did.
/// </summary>
internal sealed class JsonPageResult<TDto>(string? next, string? previous, int count, Action<Utf8JsonWriter, int> writeRow)
    : IResult, IEndpointMetadataProvider
{
    private static readonly JsonEncodedText Next = JsonEncodedText.Encode("next");
    private static readonly JsonEncodedText Previous = JsonEncodedText.Encode("previous");
    private static readonly JsonEncodedText Results = JsonEncodedText.Encode("results");

    private RenderedRowBuffer? rendered;

    /// <summary>
    /// A page of stored renderings. When every row has one, the page goes out with a
    /// <c>Content-Length</c> in one write, like a static file; otherwise rows without one are written
    /// by <paramref name="writeUnrendered"/> as the page streams. The buffer goes back to the pool either way.
    /// </summary>
    public static JsonPageResult<TDto> Rendered(string? next, string? previous, RenderedRowBuffer rows, Action<Utf8JsonWriter, int>? writeUnrendered = null) =>
        new(next, previous, rows.Count, (w, i) =>
        {
            if (rows.IsRendered(i))
            {
                w.WriteRawValue(rows.Json(i), skipInputValidation: true);
            }
            else
            {
                writeUnrendered!(w, i);
            }
        })
        { rendered = rows };

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        try
        {
            if (rendered is { UnrenderedCount: 0 } rows)
            {
                await WriteWholeAsync(httpContext, rows);
                return;
            }
            await StreamedJson.WriteAsync(httpContext, async writer =>
            {
                WriteHead(writer);
                long sent = 0;
                for (var i = 0; i < count; i++)
                {
                    writeRow(writer, i);
                    sent = await StreamedJson.SendIfFullAsync(writer, httpContext, sent);
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            });
        }
        finally
        {
            rendered?.Dispose();
        }
    }

    private void WriteHead(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString(Next, next);
        writer.WriteString(Previous, previous);
        writer.WritePropertyName(Results);
        writer.WriteStartArray();
    }

    // The same bytes the streamed path writes, with their length known up front: in one contiguous
    // write like a static file when the rows allow it, else row by row.
    private async Task WriteWholeAsync(HttpContext httpContext, RenderedRowBuffer rows)
    {
        var head = new ArrayBufferWriter<byte>(256);
        await using (var writer = new Utf8JsonWriter(head, FileStorage.CommonModelJson.WriterOptions))
        {
            WriteHead(writer);
        }
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        if (rows.TryGetBody(head.WrittenSpan, out var whole))
        {
            response.ContentLength = whole.Length;
            await response.Body.WriteAsync(whole, httpContext.RequestAborted);
            return;
        }
        response.ContentLength = head.WrittenCount + rows.RenderedBytes + Math.Max(0, rows.Count - 1) + 2;
        var body = response.BodyWriter;
        body.Write(head.WrittenSpan);
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0)
            {
                body.Write(","u8);
            }
            body.Write(rows.Json(i));
        }
        body.Write("]}"u8);
        await body.FlushAsync(httpContext.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(Paginated<TDto>), ["application/json"]));
    }
}

/// <summary>One common-model object written straight into the response; <typeparamref name="TDto"/> documents its shape.</summary>
internal sealed class JsonModelResult<TDto>(Action<Utf8JsonWriter> write) : IResult, IEndpointMetadataProvider
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        await StreamedJson.WriteAsync(httpContext, writer =>
        {
            write(writer);
            return Task.CompletedTask;
        });
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(TDto), ["application/json"]));
    }
}

internal static class StreamedJson
{
    // Hand the pipe a chunk every ~32 KB so Kestrel sends while later rows are written.
    private const int FlushBytes = 32 * 1024;

    public static async Task WriteAsync(HttpContext httpContext, Func<Utf8JsonWriter, Task> write)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        // What WriteAsJsonAsync sent before, so clients see the same headers.
        response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(response.BodyWriter, FileStorage.CommonModelJson.WriterOptions);
        await write(writer);
        writer.Flush();
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>Sends what is written once <see cref="FlushBytes"/> have piled up since <paramref name="sent"/>; returns the new mark.</summary>
    public static async ValueTask<long> SendIfFullAsync(Utf8JsonWriter writer, HttpContext httpContext, long sent)
    {
        if (writer.BytesCommitted + writer.BytesPending - sent < FlushBytes)
        {
            return sent;
        }
        writer.Flush();
        await httpContext.Response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        return writer.BytesCommitted;
    }
}
