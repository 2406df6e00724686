using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage.Files;

public sealed class FileDownloadTests
{
    private const string Files = LiveFileStorage.FilesPath;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Download_StreamsTheSourceBytes_WithHeaders(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        var id = live.FileId("file-large-dataset");

        using var response = await live.Api.GetAsync($"{Files}/{id}/download", HttpCompletionOption.ResponseHeadersRead, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(bytes.Length > 900_000);
        Assert.Equal(await live.SourceBytesAsync("file-large-dataset"), bytes);
        Assert.Equal(await live.StoredSha256Async(id), LiveFileStorage.Sha256(bytes));
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        Assert.Equal("bytes", string.Join(",", response.Headers.AcceptRanges));
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal("large-dataset.csv", disposition.FileName?.Trim('"'));
        Assert.Equal("large-dataset.csv", disposition.FileNameStar);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Download_Ranges_Answer206WithExactBytes_And416WhenUnsatisfiable(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        var id = live.FileId("file-large-dataset");
        var source = await live.SourceBytesAsync("file-large-dataset");
        var total = source.Length;

        foreach (var (range, from, to) in new[]
        {
            ("bytes=0-99", 0, 99),
            ("bytes=1000-", 1000, total - 1),
            ("bytes=-500", total - 500, total - 1),
            ($"bytes={total - 10}-{total + 1000}", total - 10, total - 1),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Files}/{id}/download");
            request.Headers.TryAddWithoutValidation("Range", range);
            using var response = await live.Api.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal($"bytes {from}-{to}/{total}", response.Content.Headers.ContentRange!.ToString());
            Assert.Equal(to - from + 1, response.Content.Headers.ContentLength);
            Assert.Equal(source[from..(to + 1)], await response.Content.ReadAsByteArrayAsync(Ct));
        }

        using var beyond = new HttpRequestMessage(HttpMethod.Get, $"{Files}/{id}/download");
        beyond.Headers.TryAddWithoutValidation("Range", $"bytes={total}-");
        using var unsatisfiable = await live.Api.SendAsync(beyond, Ct);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
        Assert.Equal($"bytes */{total}", unsatisfiable.Content.Headers.ContentRange!.ToString());
        Assert.Contains($"{total} bytes", (await unsatisfiable.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Several ranges, or a malformed one, are ignored: the whole file, as RFC 9110 allows.
        foreach (var ignored in new[] { "bytes=0-1,5-6", "bytes=abc", "items=0-5", "bytes=9-3" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Files}/{id}/download");
            request.Headers.TryAddWithoutValidation("Range", ignored);
            using var response = await live.Api.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(total, (await response.Content.ReadAsByteArrayAsync(Ct)).Length);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Download_ExportsNativeDocument_ByMimeType(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        var id = live.FileId("file-quarterly-review");

        var text = await live.Api.GetAsync($"{Files}/{id}/download?mime_type=text%2Fplain", Ct);
        Assert.Equal(HttpStatusCode.OK, text.StatusCode);
        Assert.Equal("text/plain", text.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("Quarterly Review\nRevenue grew", await text.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal("Quarterly Review.txt", text.Content.Headers.ContentDisposition!.FileNameStar);

        var html = await live.Api.GetAsync($"{Files}/{id}/download?mime_type=text/html", Ct);
        Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<html>", await html.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var pdf = await live.Api.GetAsync($"{Files}/{id}/download?mime_type=application/pdf", Ct);
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType!.MediaType);
        var pdfBytes = await pdf.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal("%PDF", Encoding.ASCII.GetString(pdfBytes, 0, 4));
        Assert.Equal(await live.SourceBytesAsync("file-quarterly-review", "application/pdf"), pdfBytes);

        // Without mime_type the connector's default export (PDF for the Sandbox).
        var byDefault = await live.Api.GetAsync($"{Files}/{id}/download", Ct);
        Assert.Equal("application/pdf", byDefault.Content.Headers.ContentType!.MediaType);

        // A range of an export is cut from the exported bytes.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Files}/{id}/download?mime_type=application/pdf");
        request.Headers.TryAddWithoutValidation("Range", "bytes=0-3");
        using var ranged = await live.Api.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal("%PDF", await ranged.Content.ReadAsStringAsync(Ct));
        Assert.Equal($"bytes 0-3/{pdfBytes.Length}", ranged.Content.Headers.ContentRange!.ToString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Download_MimeTypeTheFileDoesNotOffer_Is400ListingTheOfferedFormats(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);

        var native = await live.Api.GetAsync($"{Files}/{live.FileId("file-quarterly-review")}/download?mime_type=image/png", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, native.StatusCode);
        var message = (await native.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("mime_type")[0].GetString()!;
        Assert.Contains("image/png", message, StringComparison.Ordinal);
        Assert.Contains("application/pdf, text/plain, text/html", message, StringComparison.Ordinal);

        var csv = await live.Api.GetAsync($"{Files}/{live.FileId("file-budget")}/download?mime_type=application/pdf", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, csv.StatusCode);
        Assert.Contains("text/csv", (await csv.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("mime_type")[0].GetString(), StringComparison.Ordinal);

        // Asking for the file's own type is fine; include_shell_data is accepted.
        var same = await live.Api.GetAsync($"{Files}/{live.FileId("file-budget")}/download?mime_type=text/csv&include_shell_data=true", Ct);
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal(await live.SourceBytesAsync("file-budget"), await same.Content.ReadAsByteArrayAsync(Ct));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Download_AnotherAccountsOrUnknownFile_Is404(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        var (_, other) = await live.LinkAnotherAsync();
        using var otherClient = other;
        var mine = live.FileId("file-budget");

        Assert.Equal(HttpStatusCode.OK, (await live.Api.GetAsync($"{Files}/{mine}/download", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"{Files}/{mine}/download", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"{Files}/{mine}/download/request-meta", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await live.Api.GetAsync($"{Files}/{Guid.NewGuid()}/download", Ct)).StatusCode);
        var notAnId = await live.Api.GetAsync($"{Files}/not-an-id/download", Ct);
        Assert.Equal(HttpStatusCode.NotFound, notAnId.StatusCode);
        Assert.Equal("Not found.", (await notAnId.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString());

        // Without an account token there is no download at all.
        using var keyOnly = live.App.CreateApiClient(live.Organization.ProductionKey);
        Assert.Equal(HttpStatusCode.Unauthorized, (await keyOnly.GetAsync($"{Files}/{mine}/download", Ct)).StatusCode);
    }

    [Fact]
    public async Task Download_NonAsciiName_HasAsciiFilenameAndRfc5987FilenameStar()
    {
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite);
        var created = await live.Api.PostAsJsonAsync(Files,
            new { model = new { name = "résumé 2025.txt", file_url = "data:text/plain;base64," + Convert.ToBase64String("bonjour"u8.ToArray()) } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("model").GetProperty("id").GetString();

        var response = await live.Api.GetAsync($"{Files}/{id}/download", Ct);

        var header = string.Join("; ", response.Content.Headers.GetValues("Content-Disposition"));
        Assert.Contains("filename*=UTF-8''r%C3%A9sum%C3%A9%202025.txt", header, StringComparison.Ordinal);
        Assert.DoesNotContain("é", header.Split("filename*")[0], StringComparison.Ordinal);
        Assert.Equal("bonjour", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Routes_LiteralsWinOverIds()
    {
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite);
        var id = live.FileId("file-notes");

        var list = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}/download/request-meta", Ct);
        Assert.True(list.GetProperty("results").GetArrayLength() > 0);
        var meta = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}/meta/post", Ct);
        Assert.True(meta.TryGetProperty("request_schema", out _));
        var one = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}/{id}/download/request-meta", Ct);
        Assert.Equal(id.ToString(), one.GetProperty("id").GetString());
        var bytes = await live.Api.GetStringAsync($"{Files}/{id}/download", Ct);
        Assert.StartsWith("Project notes", bytes, StringComparison.Ordinal);
        // A trailing slash (Django style) reaches the same routes.
        Assert.True((await live.Api.GetFromJsonAsync<JsonElement>($"{Files}/download/request-meta/", Ct)).TryGetProperty("results", out _));
        Assert.True((await live.Api.GetFromJsonAsync<JsonElement>($"{Files}/meta/post/", Ct)).TryGetProperty("status", out _));

        // The OpenAPI document still builds with every one of them.
        using var anonymous = live.App.CreateClient();
        var openApi = await anonymous.GetStringAsync("/openapi/v1.json", Ct);
        foreach (var path in new[] { "/files/{id}/download", "/files/{id}/download/request-meta", "/files/download/request-meta", "/files/meta/post", "/folders/meta/post", "/signed-downloads/{token}" })
        {
            Assert.Contains($"\"/api/filestorage/v1{path}\"", openApi, StringComparison.Ordinal);
        }
    }
}
