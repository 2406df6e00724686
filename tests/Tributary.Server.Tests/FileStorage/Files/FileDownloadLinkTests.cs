using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage.Files;

public sealed class FileDownloadLinkTests
{
    private const string Files = LiveFileStorage.FilesPath;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RequestMeta_UrlServesTheBytesWithoutAnyAuthentication(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        var id = live.FileId("file-large-dataset");

        var response = await live.Api.GetAsync($"{Files}/{id}/download/request-meta", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var raw = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(LiveFileStorage.ProviderSecret, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(live.AccountToken, raw, StringComparison.Ordinal);
        var meta = JsonDocument.Parse(raw).RootElement;
        Assert.Equal(id.ToString(), meta.GetProperty("id").GetString());
        Assert.Equal("GET", meta.GetProperty("method").GetString());
        Assert.Equal(JsonValueKind.Object, meta.GetProperty("headers").ValueKind);
        Assert.Empty(meta.GetProperty("headers").EnumerateObject());
        var url = meta.GetProperty("url").GetString()!;
        Assert.StartsWith("http://localhost/api/filestorage/v1/signed-downloads/", url, StringComparison.Ordinal);

        using var anonymous = live.App.CreateClient();
        using var download = await anonymous.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(await live.SourceBytesAsync("file-large-dataset"), await download.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Contains("no-store", download.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal("nosniff", string.Join(",", download.Headers.GetValues("X-Content-Type-Options")));

        // Ranges work on the link too (browsers and download managers resume with them).
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Range", "bytes=-10");
        using var tail = await anonymous.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal((await live.SourceBytesAsync("file-large-dataset"))[^10..], await tail.Content.ReadAsByteArrayAsync(Ct));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RequestMeta_MimeTypeSelectsTheExport(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        var id = live.FileId("file-quarterly-review");
        using var anonymous = live.App.CreateClient();

        var meta = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}/{id}/download/request-meta?mime_type=text/plain", Ct);
        var text = await anonymous.GetAsync(meta.GetProperty("url").GetString(), Ct);
        Assert.Equal("text/plain", text.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("Quarterly Review", await text.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var bad = await live.Api.GetAsync($"{Files}/{id}/download/request-meta?mime_type=image/gif", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("application/pdf", (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("mime_type")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestMeta_LinkExpiresAfterTenMinutes()
    {
        var time = new ManualTimeProvider();
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite, time);
        using var anonymous = live.App.CreateClient();
        var meta = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}/{live.FileId("file-notes")}/download/request-meta", Ct);
        var url = meta.GetProperty("url").GetString();

        time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(url, Ct)).StatusCode);

        time.Advance(TimeSpan.FromMinutes(1));
        var expired = await anonymous.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Equal("application/json", expired.Content.Headers.ContentType!.MediaType);
        Assert.Contains("expired", (await expired.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task SignedLink_TamperedOrForeign_IsRefused(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        using var anonymous = live.App.CreateClient();
        var meta = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}/{live.FileId("file-notes")}/download/request-meta", Ct);
        var url = meta.GetProperty("url").GetString()!;
        var prefix = url[..(url.LastIndexOf('/') + 1)];
        var token = WebEncoders.Base64UrlDecode(url[prefix.Length..]);

        // Point the grant at another file of the same account without re-signing.
        var otherFile = live.FileId("file-budget");
        var forged = (byte[])token.Clone();
        otherFile.TryWriteBytes(forged.AsSpan(1, 16), bigEndian: true, out _);
        // Extend the expiry by a day.
        var extended = (byte[])token.Clone();
        extended[38]++;
        var flippedMac = (byte[])token.Clone();
        flippedMac[^1] ^= 0x01;

        foreach (var bad in new[]
        {
            prefix + WebEncoders.Base64UrlEncode(forged),
            prefix + WebEncoders.Base64UrlEncode(extended),
            prefix + WebEncoders.Base64UrlEncode(flippedMac),
            prefix + WebEncoders.Base64UrlEncode(token, 0, token.Length - 1),
            prefix + "not-a-token",
            prefix + WebEncoders.Base64UrlEncode(new byte[80]),
        })
        {
            var response = await anonymous.GetAsync(bad, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("invalid", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(url, Ct)).StatusCode);

        // Another account can never get a link for this account's file, and its own links name only its own files.
        var (otherAccount, other) = await live.LinkAnotherAsync();
        using var otherClient = other;
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"{Files}/{live.FileId("file-notes")}/download/request-meta", Ct)).StatusCode);
        var list = await other.GetFromJsonAsync<JsonElement>($"{Files}/download/request-meta?ids={live.FileId("file-notes")}", Ct);
        Assert.Equal(0, list.GetProperty("results").GetArrayLength());
        var own = await other.GetFromJsonAsync<JsonElement>($"{Files}/download/request-meta?page_size=100", Ct);
        var mine = Enumerable.Range(0, own.GetProperty("results").GetArrayLength()).Select(i => own.GetProperty("results")[i].GetProperty("id").GetGuid()).ToHashSet();
        Assert.DoesNotContain(live.FileId("file-notes"), mine);
        Assert.Contains(Data.StoreIds.For(otherAccount, "file", "file-notes"), mine);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RequestMetaList_FiltersByIds_AndPicksTheFirstOfferedMimeType(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        using var anonymous = live.App.CreateClient();
        var review = live.FileId("file-quarterly-review");
        var budget = live.FileId("file-budget");
        var pixel = live.FileId("file-pixel");

        var page = await live.Api.GetFromJsonAsync<JsonElement>(
            $"{Files}/download/request-meta?ids={review}%2C{budget},{pixel}&mime_types=text/html,text/csv&order_by=-created_at", Ct);

        var results = page.GetProperty("results");
        Assert.Equal(3, results.GetArrayLength());
        var types = new Dictionary<Guid, string>();
        foreach (var item in results.EnumerateArray())
        {
            Assert.Equal("GET", item.GetProperty("method").GetString());
            var response = await anonymous.GetAsync(item.GetProperty("url").GetString(), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            types[item.GetProperty("id").GetGuid()] = response.Content.Headers.ContentType!.MediaType!;
        }
        Assert.Equal("text/html", types[review]);
        Assert.Equal("text/csv", types[budget]);
        Assert.Equal("image/png", types[pixel]);

        // Paging walks every file once.
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var next = await live.Api.GetFromJsonAsync<JsonElement>(
                $"{Files}/download/request-meta?page_size=7" + (cursor is null ? "" : $"&cursor={cursor}"), Ct);
            seen.AddRange(next.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!));
            cursor = next.GetProperty("next").GetString();
        }
        while (cursor is not null);
        Assert.Equal(24, seen.Count);
        Assert.Equal(24, seen.Distinct().Count());

        var tooMany = string.Join(",", Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()));
        var rejected = await live.Api.GetAsync($"{Files}/download/request-meta?ids={tooMany}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        Assert.True((await rejected.Content.ReadFromJsonAsync<JsonElement>(Ct)).TryGetProperty("ids", out _));
        Assert.Equal(HttpStatusCode.BadRequest, (await live.Api.GetAsync($"{Files}/download/request-meta?ids=nope", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await live.Api.GetAsync($"{Files}/download/request-meta?order_by=name", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await live.Api.GetAsync($"{Files}/download/request-meta?created_after=yesterday", Ct)).StatusCode);
        var filtered = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}/download/request-meta?created_after=2000-01-01T00:00:00Z&modified_before=2999-01-01", Ct);
        Assert.Equal(24, filtered.GetProperty("results").GetArrayLength());
    }
}
