using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage.Files;

public sealed class FileUploadTests
{
    private const string Files = LiveFileStorage.FilesPath;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string DataUri(string text, string type = "text/plain") => $"data:{type};base64,{Convert.ToBase64String(Encoding.UTF8.GetBytes(text))}";

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Create_WithDataUri_Returns201_IsListedAtOnce_AndDownloadsByteEqual(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        var folder = live.FolderId("folder-projects");
        const string text = "Hello from a data: URI\n";

        var response = await live.Api.PostAsJsonAsync($"{Files}?is_debug_mode=false&run_async=false",
            new { model = new { name = "hello.txt", file_url = DataUri(text), description = "greeting", folder = folder.ToString() } }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.False(body.TryGetProperty("logs", out _));
        Assert.Equal(0, body.GetProperty("warnings").GetArrayLength());
        Assert.Equal(0, body.GetProperty("errors").GetArrayLength());
        var model = body.GetProperty("model");
        var id = model.GetProperty("id").GetGuid();
        Assert.Equal("hello.txt", model.GetProperty("name").GetString());
        Assert.Equal("text/plain", model.GetProperty("mime_type").GetString());
        Assert.Equal("greeting", model.GetProperty("description").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(text), model.GetProperty("size").GetInt64());
        Assert.Equal(folder, model.GetProperty("folder").GetGuid());
        Assert.Equal(live.DriveId("drive-my"), model.GetProperty("drive").GetGuid());
        Assert.Equal(LiveFileStorage.Sha256(Encoding.UTF8.GetBytes(text)), model.GetProperty("checksum").GetProperty("content_hash").GetString());
        Assert.Equal($"http://localhost{Files}/{id}", response.Headers.Location!.ToString());

        // In the store right away, before any sync.
        var retrieved = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}/{id}", Ct);
        Assert.Equal("hello.txt", retrieved.GetProperty("name").GetString());
        var listed = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}?folder_id={folder}&name=hello.txt", Ct);
        Assert.Equal(id, listed.GetProperty("results")[0].GetProperty("id").GetGuid());
        Assert.Equal(text, await live.Api.GetStringAsync($"{Files}/{id}/download", Ct));

        // The next sync sees the same file and changes nothing.
        await live.SyncAsync();
        var after = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}?name=hello.txt", Ct);
        Assert.Equal(1, after.GetProperty("results").GetArrayLength());
        Assert.Equal(retrieved.GetProperty("modified_at").GetString(), after.GetProperty("results")[0].GetProperty("modified_at").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Create_WithMultipart_StreamsFiveMegabytes_AndDownloadsByteEqual(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        const long size = 5L << 20;
        var expected = GeneratedStream.Sha256Of(size);
        var folder = live.FolderId("folder-archive");

        using var content = FileStreamingTests.Multipart(
            new { name = "dataset.bin", folder, checksum = new { type = "sha256", content_hash = expected } }, new GeneratedStream(size), "ignored-name.bin");
        var response = await live.Api.PostAsync(Files, content, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(0, body.GetProperty("warnings").GetArrayLength());
        var model = body.GetProperty("model");
        var id = model.GetProperty("id").GetGuid();
        Assert.Equal("dataset.bin", model.GetProperty("name").GetString());
        Assert.Equal("application/octet-stream", model.GetProperty("mime_type").GetString());
        Assert.Equal(size, model.GetProperty("size").GetInt64());
        Assert.Equal(live.DriveId("drive-team"), model.GetProperty("drive").GetGuid());
        Assert.Equal(expected, await live.StoredSha256Async(id));

        var listed = await live.Api.GetFromJsonAsync<JsonElement>($"{Files}?folder_id={folder}&name=dataset.bin", Ct);
        Assert.Equal(id, listed.GetProperty("results")[0].GetProperty("id").GetGuid());
        var downloaded = await live.Api.GetByteArrayAsync($"{Files}/{id}/download", Ct);
        Assert.Equal(size, downloaded.Length);
        Assert.Equal(expected, LiveFileStorage.Sha256(downloaded));
    }

    [Fact]
    public async Task Create_MultipartWithoutModelPart_NamesTheFileAfterItsFilename_AndTypesItByItsPart()
    {
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite);
        using var content = new MultipartFormDataContent();
        var part = new ByteArrayContent("a,b\n1,2\n"u8.ToArray());
        part.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        content.Add(part, "file", "numbers.csv");

        var response = await live.Api.PostAsync(Files, content, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var model = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("model");
        Assert.Equal("numbers.csv", model.GetProperty("name").GetString());
        Assert.Equal("text/csv", model.GetProperty("mime_type").GetString());
        Assert.Equal(JsonValueKind.Null, model.GetProperty("folder").ValueKind);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Create_UnknownAndUnsupportedFields_AreWarnings_DebugModeAddsLogs_RunAsyncStillCreates(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);

        var response = await live.Api.PostAsJsonAsync($"{Files}?is_debug_mode=true&run_async=true", new
        {
            model = new
            {
                name = "notes.md",
                file_url = DataUri("# notes", "text/markdown"),
                mime_type = (string?)null,
                size = 3,
                colour = "blue",
                permissions = new object[] { new { type = "ANYONE", roles = new[] { "READ" } } },
                integration_params = new { x = 1 },
            },
            extra = true,
        }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var warnings = body.GetProperty("warnings").EnumerateArray()
            .ToDictionary(w => w.GetProperty("source").GetProperty("pointer").GetString()!, w => w.GetProperty("problem_type").GetString());
        Assert.Equal("UNRECOGNIZED_FIELD", warnings["/model/colour"]);
        Assert.Equal("UNRECOGNIZED_FIELD", warnings["/extra"]);
        Assert.Equal("UNSUPPORTED_FIELD", warnings["/model/permissions"]);
        Assert.Equal("UNSUPPORTED_FIELD", warnings["/model/integration_params"]);
        Assert.Equal("INCORRECT_FIELD_TYPE", warnings["/model/size"]);
        Assert.All(body.GetProperty("warnings").EnumerateArray(), w =>
        {
            Assert.False(string.IsNullOrEmpty(w.GetProperty("title").GetString()));
            Assert.False(string.IsNullOrEmpty(w.GetProperty("detail").GetString()));
        });
        Assert.Equal("text/markdown", body.GetProperty("model").GetProperty("mime_type").GetString());
        Assert.Equal(7, body.GetProperty("model").GetProperty("size").GetInt64());
        var log = body.GetProperty("logs")[0];
        Assert.False(string.IsNullOrEmpty(log.GetProperty("log_id").GetString()));
        Assert.EndsWith(body.GetProperty("model").GetProperty("id").GetString()!, log.GetProperty("dashboard_view").GetString(), StringComparison.Ordinal);
        Assert.Equal("POST", log.GetProperty("log_summary").GetProperty("method").GetString());
        Assert.Equal(201, log.GetProperty("log_summary").GetProperty("status_code").GetInt32());
        Assert.StartsWith("https://sandbox.tributary.example/files/upload-", log.GetProperty("log_summary").GetProperty("url").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Create_MissingName_Is400WithMergeProblem(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);

        var response = await live.Api.PostAsJsonAsync(Files, new { model = new { file_url = DataUri("x"), unknown = 1 } }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.False(body.TryGetProperty("model", out _));
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal("MISSING_REQUIRED_FIELD", error.GetProperty("problem_type").GetString());
        Assert.Equal("/model/name", error.GetProperty("source").GetProperty("pointer").GetString());
        Assert.Equal("UNRECOGNIZED_FIELD", body.GetProperty("warnings")[0].GetProperty("problem_type").GetString());
        // Nothing reached the provider or the store.
        var files = await live.App.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().CountAsync(f => f.RemoteId.StartsWith("upload-"), Ct));
        Assert.Equal(0, files);
    }

    public static TheoryData<string, string, string?, string> BadJsonBodies => new()
    {
        // body, expected problem_type, expected pointer, expected detail fragment
        { """{"model": {"name": "a", "file_url": "https://example.com/a.txt"}}""", "INVALID_FIELD_CHOICE", "/model/file_url", "does not fetch" },
        { """{"model": {"name": "a", "file_url": "ftp://example.com/a.txt"}}""", "INVALID_FIELD_CHOICE", "/model/file_url", "data: URI" },
        { """{"model": {"name": "a"}}""", "MISSING_REQUIRED_FIELD", "/model/file_url", "multipart" },
        { """{"model": {"name": "a", "file_url": "data:text/plain;base64,!!!"}}""", "CORRUPTED_FILE", "/model/file_url", "base64" },
        { """{"model": {"name": "a", "file_url": "data:,abc", "checksum": {"type": "sha256", "content_hash": "00"}}}""", "CORRUPTED_FILE", "/model/checksum", "not uploaded" },
        { """{"model": {"name": "a", "file_url": "data:,abc", "folder": "not-a-uuid"}}""", "INCORRECT_FIELD_TYPE", "/model/folder", "UUID" },
        { """{"model": {"name": "a", "file_url": "data:,abc", "folder": "6d1f1a52-0000-4000-8000-000000000000"}}""", "INVALID_FIELD_CHOICE", "/model/folder", "not a folder" },
        { """{"model": {"name": "a", "file_url": "data:,abc", "drive": "6d1f1a52-0000-4000-8000-000000000000"}}""", "INVALID_FIELD_CHOICE", "/model/drive", "not a drive" },
        { """{"model": {"name": 5, "file_url": "data:,abc"}}""", "INCORRECT_FIELD_TYPE", "/model/name", "string" },
        { """{"model": {"name": "a", "file_url": "data:,abc", "size": -1}}""", "INCORRECT_FIELD_TYPE", "/model/size", "non-negative" },
        { """{"model": {"name": "a", "file_url": "data:,abc", "size": "11"}}""", "INCORRECT_FIELD_TYPE", "/model/size", "integer" },
        { """{"model": {"name": "a", "file_url": "data:,abc", "checksum": "abc"}}""", "INCORRECT_FIELD_TYPE", "/model/checksum", "content_hash" },
        { "{\"model\": {\"name\": \"" + new string('n', 255) + "\", \"file_url\": \"data:,abc\"}}", "INCORRECT_FIELD_TYPE", "/model/name", "254" },
        { """{"model": "hello.txt"}""", "INCORRECT_FIELD_TYPE", "/model", "object" },
        { """{"model": null}""", "MISSING_REQUIRED_FIELD", "/model", "model is required" },
        { """{"name": "a"}""", "MISSING_REQUIRED_FIELD", "/model", "model is required" },
        { """[1, 2]""", "INCORRECT_FIELD_TYPE", null, "JSON object" },
        { """{"model": {"name": "a",""", "ERROR", null, "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadJsonBodies))]
    public async Task Create_BadJson_Is400WithProblemShape_NeverServerError(string json, string problemType, string? expectedPointer, string detail)
    {
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite);

        var response = await live.Api.PostAsync(Files, new StringContent(json, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var error = body.GetProperty("errors").EnumerateArray().First(e => e.GetProperty("problem_type").GetString() == problemType);
        Assert.Equal(expectedPointer, error.GetProperty("source").ValueKind == JsonValueKind.Null ? null : error.GetProperty("source").GetProperty("pointer").GetString());
        Assert.Contains(detail, error.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(error.GetProperty("title").GetString()));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Create_FolderOfAnotherAccount_Is400PointingAtFolder(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        var (otherAccount, other) = await live.LinkAnotherAsync();
        using var otherClient = other;

        var response = await other.PostAsJsonAsync(Files, new { model = new { name = "a.txt", file_url = "data:,a", folder = live.FolderId("folder-projects") } }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors")[0];
        Assert.Equal("/model/folder", error.GetProperty("source").GetProperty("pointer").GetString());
        // The same remote folder under its own Merge id is fine, and folder and drive must agree.
        var own = Data.StoreIds.For(otherAccount, "folder", "folder-projects");
        Assert.Equal(HttpStatusCode.Created, (await other.PostAsJsonAsync(Files, new { model = new { name = "a.txt", file_url = "data:,a", folder = own } }, Ct)).StatusCode);
        var mismatch = await other.PostAsJsonAsync(Files,
            new { model = new { name = "a.txt", file_url = "data:,a", folder = own, drive = Data.StoreIds.For(otherAccount, "drive", "drive-team") } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Equal("/model/drive", (await mismatch.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString());
    }

    [Fact]
    public async Task Create_BadMultipartOrMediaType_Is4xxWithJson()
    {
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite);

        using (var noFile = new MultipartFormDataContent { { JsonContent.Create(new { name = "a.txt" }), "model" } })
        {
            var response = await live.Api.PostAsync(Files, noFile, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors")[0];
            Assert.Equal("/file", error.GetProperty("source").GetProperty("pointer").GetString());
            Assert.Equal("MISSING_REQUIRED_FIELD", error.GetProperty("problem_type").GetString());
        }

        using (var badModel = new MultipartFormDataContent { { new StringContent("{not json"), "model" }, { new ByteArrayContent([1, 2, 3]), "file", "x.bin" } })
        {
            var response = await live.Api.PostAsync(Files, badModel, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("ERROR", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors")[0].GetProperty("problem_type").GetString());
        }

        using (var twice = new MultipartFormDataContent
        {
            { JsonContent.Create(new { name = "a.txt", file_url = "data:,a" }), "model" },
            { new ByteArrayContent([1, 2, 3]), "file", "x.bin" },
        })
        {
            var response = await live.Api.PostAsync(Files, twice, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("/model/file_url", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString());
        }

        var truncated = new ByteArrayContent("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\nabc"u8.ToArray());
        truncated.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
        var cut = await live.Api.PostAsync(Files, truncated, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, cut.StatusCode);
        Assert.True((await cut.Content.ReadFromJsonAsync<JsonElement>(Ct)).TryGetProperty("errors", out _));

        var noBoundary = new ByteArrayContent([1]);
        noBoundary.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");
        Assert.Equal(HttpStatusCode.BadRequest, (await live.Api.PostAsync(Files, noBoundary, Ct)).StatusCode);

        var text = await live.Api.PostAsync(Files, new StringContent("hello", Encoding.UTF8, "text/plain"), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Contains("multipart/form-data", (await text.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.BadRequest, (await live.Api.PostAsJsonAsync($"{Files}?is_debug_mode=maybe", new { model = new { name = "a", file_url = "data:,a" } }, Ct)).StatusCode);

        var files = await live.App.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().CountAsync(f => f.RemoteId.StartsWith("upload-"), Ct));
        Assert.Equal(0, files);
    }

    [Fact]
    public async Task Create_OverTheLimits_Is413()
    {
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite,
            settings: new Dictionary<string, string?> { ["Tributary:MaxUploadBytes"] = "65536" });

        // The JSON limit (1 MiB) bounds data: URIs.
        var big = new { model = new { name = "big.bin", file_url = "data:application/octet-stream;base64," + Convert.ToBase64String(new byte[900_000]) } };
        var json = await live.Api.PostAsJsonAsync(Files, big, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, json.StatusCode);

        // A multipart file over MaxUploadBytes, with and without a Content-Length.
        using (var declared = FileStreamingTests.Multipart(new { name = "a.bin" }, new MemoryStream(new byte[2_000_000]), "a.bin"))
        {
            var response = await live.Api.PostAsync(Files, declared, Ct);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("bytes", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using (var chunked = FileStreamingTests.Multipart(new { name = "a.bin" }, new GeneratedStream(70_000), "a.bin"))
        {
            var response = await live.Api.PostAsync(Files, chunked, Ct);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("MaxUploadBytes", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // Under the limit is fine.
        using var small = FileStreamingTests.Multipart(new { name = "ok.bin" }, new GeneratedStream(60_000), "ok.bin");
        Assert.Equal(HttpStatusCode.Created, (await live.Api.PostAsync(Files, small, Ct)).StatusCode);
    }

    [Fact]
    public async Task Create_ChecksumMismatchInMultipart_IsReportedWithTheCreatedFile()
    {
        await using var live = await LiveFileStorage.StartAsync(DatabaseKind.Sqlite);
        var bytes = "payload"u8.ToArray();
        using var content = FileStreamingTests.Multipart(
            new { name = "p.txt", checksum = new { type = "md5", content_hash = "00000000000000000000000000000000" } }, new MemoryStream(bytes), "p.txt");

        var response = await live.Api.PostAsync(Files, content, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var warning = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("warnings")[0];
        Assert.Equal("CORRUPTED_FILE", warning.GetProperty("problem_type").GetString());
#pragma warning disable CA5351 // The test recomputes the client's md5.
        Assert.Contains(Convert.ToHexStringLower(MD5.HashData(bytes)), warning.GetProperty("detail").GetString(), StringComparison.Ordinal);
#pragma warning restore CA5351
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task MetaPost_DescribesTheBody_AndTheAccountStatus(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);

        foreach (var (path, fields) in new[] { (Files, new[] { "name", "file_url", "mime_type", "folder", "drive" }), (LiveFileStorage.FoldersPath, new[] { "name", "parent_folder", "drive" }) })
        {
            var meta = await live.Api.GetFromJsonAsync<JsonElement>($"{path}/meta/post", Ct);
            var schema = meta.GetProperty("request_schema");
            Assert.Equal("object", schema.GetProperty("type").GetString());
            Assert.Equal("model", schema.GetProperty("required")[0].GetString());
            var model = schema.GetProperty("properties").GetProperty("model");
            Assert.Equal("name", model.GetProperty("required")[0].GetString());
            foreach (var field in fields)
            {
                Assert.True(model.GetProperty("properties").TryGetProperty(field, out _), $"{path} schema lacks {field}");
            }
            Assert.Equal(254, model.GetProperty("properties").GetProperty("name").GetProperty("maxLength").GetInt32());
            Assert.Equal("string", model.GetProperty("properties").GetProperty("name").GetProperty("type").GetString());
            Assert.Equal(JsonValueKind.Object, meta.GetProperty("remote_field_classes").ValueKind);
            Assert.Equal("COMPLETE", meta.GetProperty("status").GetProperty("linked_account_status").GetString());
            Assert.True(meta.GetProperty("status").GetProperty("can_make_request").GetBoolean());
            Assert.False(meta.GetProperty("has_conditional_params").GetBoolean());
            Assert.False(meta.GetProperty("has_required_linked_account_params").GetBoolean());
        }
    }

    [Fact]
    public async Task MetaPost_AndWrites_ForAnIntegrationWithoutConnector()
    {
        // Every catalog integration has a connector now; a deployment without one is simulated by removing it.
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite,
            services: s => s.RemoveAllKeyed<Tributary.Integrations.FileStorage.IFileStorageConnector>("google-drive"));
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id, integration: "google-drive");
        using var api = app.CreateApiClient(org.ProductionKey, account.Token);

        var meta = await api.GetFromJsonAsync<JsonElement>($"{Files}/meta/post", Ct);
        Assert.False(meta.GetProperty("status").GetProperty("can_make_request").GetBoolean());
        var write = await api.PostAsJsonAsync(Files, new { model = new { name = "a", file_url = "data:,a" } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, write.StatusCode);
        Assert.Contains("google-drive", (await write.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
