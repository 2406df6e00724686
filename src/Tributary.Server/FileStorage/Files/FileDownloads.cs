using System.Buffers;
using System.Globalization;
using System.Net;
using Microsoft.Net.Http.Headers;
using Tributary.Data.Entities;
using Tributary.Data.Entities.FileStorage;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Errors;
using Tributary.Server.FileStorage.Live;

namespace Tributary.Server.FileStorage.Files;

/// <summary>Which format a download is in: the stored bytes, or an export of a provider-native document.</summary>
internal sealed record DownloadFormat(string? ExportMimeType, bool IsNativeDocument, IReadOnlyList<string> Offered);

/// <summary>One <c>Range: bytes=…</c> request: <c>a-b</c>, <c>a-</c> or the suffix <c>-n</c>.</summary>
internal readonly record struct RangeRequest(long? From, long? To, long? SuffixLength)
{
    /// <summary>
    /// Parses a single byte range. Anything else (another unit, several ranges, a malformed value)
    /// is null, which means "send the whole file" as RFC 9110 allows.
    /// </summary>
    public static RangeRequest? Parse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header) || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var spec = header[6..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (spec.Contains(',', StringComparison.Ordinal) || dash < 0)
        {
            return null;
        }
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            return Number(last) is { } suffix ? new RangeRequest(null, null, suffix) : null;
        }
        if (Number(first) is not { } from)
        {
            return null;
        }
        if (last.Length == 0)
        {
            return new RangeRequest(from, null, null);
        }
        return Number(last) is { } to && to >= from ? new RangeRequest(from, to, null) : null;
    }

    /// <summary>The absolute range within <paramref name="total"/> bytes, or null when it is unsatisfiable (416).</summary>
    public ByteRange? Resolve(long total)
    {
        if (SuffixLength is { } n)
        {
            return n == 0 || total == 0 ? null : new ByteRange(Math.Max(0, total - n), total - 1);
        }
        var from = From!.Value;
        return from >= total ? null : new ByteRange(from, Math.Min(To ?? total - 1, total - 1));
    }

    private static long? Number(string text) =>
        text.Length > 0 && text.All(char.IsAsciiDigit) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>
/// Streams a file from its provider to the response: never buffered whole, with Content-Type,
/// Content-Disposition, Content-Length when known, and single byte ranges (206/416). Shared by the
/// authenticated download and the signed download links.
/// </summary>
internal static class FileDownloads
{
    private const int CopyBufferSize = 64 * 1024;

    /// <summary>
    /// Checks <paramref name="requested"/> against what the file offers: a native document exports to
    /// its connector's formats, any other file only downloads as itself. A 400 naming the offered formats otherwise.
    /// </summary>
    public static DownloadFormat Format(IFileStorageConnector connector, StoredFile file, string? requested)
    {
        var exports = file.MimeType is null ? [] : connector.ExportFormats(file.MimeType);
        if (exports.Count > 0)
        {
            if (requested is null)
            {
                return new DownloadFormat(null, true, exports);
            }
            var match = exports.FirstOrDefault(f => string.Equals(f, requested, StringComparison.OrdinalIgnoreCase))
                ?? throw NotOffered(requested, exports);
            return new DownloadFormat(match, true, exports);
        }
        IReadOnlyList<string> offered = file.MimeType is null ? [] : [file.MimeType];
        if (requested is null || offered.Contains(requested, StringComparer.OrdinalIgnoreCase))
        {
            return new DownloadFormat(null, false, offered);
        }
        throw NotOffered(requested, offered);
    }

    /// <summary>The first of <paramref name="preferred"/> the file offers, or null (its default format) when none is.</summary>
    public static string? Pick(IFileStorageConnector connector, StoredFile file, IReadOnlyList<string> preferred)
    {
        foreach (var mime in preferred)
        {
            try
            {
                var format = Format(connector, file, mime);
                return format.IsNativeDocument ? format.ExportMimeType : null;
            }
            catch (ValidationException)
            {
                // Not offered: try the next preference.
            }
        }
        return null;
    }

    public static async Task ServeAsync(HttpContext http, LiveConnectors live, LinkedAccount account, StoredFile file, string? mimeType, CancellationToken ct)
    {
        if (file.RemoteWasDeleted)
        {
            throw ApiException.NotFound("This file was deleted at the provider.");
        }
        var format = Format(live.ConnectorFor(account), file, mimeType);
        var range = RangeRequest.Parse(http.Request.Headers.Range.ToString());

        // The stored size is the whole download only for the file's own bytes, not for an export.
        var knownTotal = format.IsNativeDocument ? null : file.Size;
        ByteRange? ask = null;
        if (range is { } requested && !format.IsNativeDocument)
        {
            if (knownTotal is { } total)
            {
                ask = requested.Resolve(total) ?? throw NotSatisfiable(total);
            }
            else if (requested.SuffixLength is null)
            {
                ask = new ByteRange(requested.From!.Value, requested.To);
            }
        }

        var content = await live.CallAsync(account, (connector, context) =>
            connector.DownloadAsync(context, file.RemoteId, format.ExportMimeType, ask, ct), ct);
        await using (content)
        {
            var body = content.Body;
            var status = StatusCodes.Status200OK;
            var length = content.Length;
            string? contentRange = null;
            if (range is { } wanted)
            {
                if (content.Range is { } served)
                {
                    var to = served.To ?? (content.Length is { } l ? served.From + l - 1 : (content.TotalLength ?? knownTotal) - 1);
                    var total = content.TotalLength ?? knownTotal;
                    length = content.Length ?? (to - served.From + 1);
                    status = StatusCodes.Status206PartialContent;
                    contentRange = $"bytes {served.From}-{to?.ToString(CultureInfo.InvariantCulture) ?? "*"}/{total?.ToString(CultureInfo.InvariantCulture) ?? "*"}";
                }
                else if (content.Length is { } total)
                {
                    // The provider sent everything (an export, or it ignored the range): cut the range here, still streaming.
                    var cut = wanted.Resolve(total) ?? throw NotSatisfiable(total);
                    await SkipAsync(body, cut.From, ct);
                    length = cut.To!.Value - cut.From + 1;
                    body = new BoundedStream(body, length.Value);
                    status = StatusCodes.Status206PartialContent;
                    contentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {cut.From}-{cut.To}/{total}");
                }
                // Otherwise the length is unknown: the range is ignored and the whole file is sent, as RFC 9110 allows.
            }

            var response = http.Response;
            response.StatusCode = status;
            response.ContentType = content.ContentType;
            response.ContentLength = length;
            response.Headers.AcceptRanges = "bytes";
            response.Headers.XContentTypeOptions = "nosniff";
            if (contentRange is not null)
            {
                response.Headers.ContentRange = contentRange;
            }
            var disposition = new ContentDispositionHeaderValue("attachment");
            disposition.SetHttpFileName(content.FileName ?? file.Name ?? file.Id.ToString());
            response.Headers.ContentDisposition = disposition.ToString();

            var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
            try
            {
                int read;
                while ((read = await body.ReadAsync(buffer.AsMemory(0, CopyBufferSize), ct)) > 0)
                {
                    await response.Body.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken ct)
    {
        if (count == 0)
        {
            return;
        }
        if (body.CanSeek)
        {
            body.Seek(count, SeekOrigin.Current);
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            while (count > 0)
            {
                var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(CopyBufferSize, count)), ct);
                if (read == 0)
                {
                    throw new ProviderException(ProviderErrorKind.Transient, "The provider's download ended early.");
                }
                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ValidationException NotOffered(string requested, IReadOnlyList<string> offered) =>
        ValidationException.For("mime_type", offered.Count == 0
            ? $"\"{requested}\" is not offered for this file: it downloads only as stored. Omit mime_type."
            : $"\"{requested}\" is not offered for this file. It downloads as: {string.Join(", ", offered)}.");

    private static ApiException NotSatisfiable(long total)
    {
        var error = ApiException.Detail(HttpStatusCode.RequestedRangeNotSatisfiable,
            $"The requested range is not satisfiable: the file has {total} bytes.");
        error.Headers["Content-Range"] = $"bytes */{total.ToString(CultureInfo.InvariantCulture)}";
        return error;
    }
}
