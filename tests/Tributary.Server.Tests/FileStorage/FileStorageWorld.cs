using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage;

/// <summary>
/// A linked Sandbox account with its store filled by a real sync, then arranged so filters have
/// something to tell apart: timestamps spread (with ties and milliseconds), <c>remote_data</c> on
/// every row, one file, folder and user deleted remotely, a file and a folder outside any drive, four
/// more drives, four more groups (one empty, one nesting two others) and a user with a mixed-case email.
/// Accounts are created directly (no Link), so no background sync races the inline one.
/// </summary>
internal sealed class FileStorageWorld : IAsyncDisposable
{
    /// <summary>created_at of the first rows; milliseconds on purpose.</summary>
    public static readonly DateTime Base = new(2026, 1, 15, 12, 0, 0, 250, DateTimeKind.Utc);

    public const string DeletedFile = "file-notes";
    public const string DeletedFolder = "folder-designs";
    public const string DeletedUser = "user-katherine";
    public const string DrivelessFile = "file-shared-with-me";
    public const string DrivelessFolder = "folder-shared-with-me";
    public const string MixedCaseUser = "user-mixed";
    public const string MixedCaseEmail = "Mixed.Case@Sandbox.Example";
    public static readonly IReadOnlyList<string> ExtraDrives = ["drive-archive", "drive-legal", "drive-marketing", "drive-ops"];

    private FileStorageWorld(TributaryApplication app, TestOrganization organization, TestAccount account)
    {
        App = app;
        Organization = organization;
        Account = account;
        Api = app.CreateApiClient(organization.ProductionKey, account.Token);
    }

    public TributaryApplication App { get; }
    public TestOrganization Organization { get; }
    public TestAccount Account { get; }
    public HttpClient Api { get; }
    public Guid AccountId => Account.Id;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<FileStorageWorld> StartAsync(DatabaseKind kind)
    {
        var app = await TributaryApplication.StartAsync(kind, new Dictionary<string, string?> { ["Tributary:RateLimitPerMinute"] = "1000000" });
        var organization = await app.CreateOrganizationAsync();
        var account = await AddSandboxAccountAsync(app, organization.Id, "end-user-1");
        return new FileStorageWorld(app, organization, account);
    }

    /// <summary>Another synced and arranged Sandbox account, in this or another organization.</summary>
    public static async Task<TestAccount> AddSandboxAccountAsync(TributaryApplication app, Guid organizationId, string originId)
    {
        var account = await app.CreateLinkedAccountAsync(organizationId, originId: originId, integration: "sandbox");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var outcome = await scope.ServiceProvider.GetRequiredService<SyncRunner>().RunAsync(account.Id, fullResync: false, Ct);
            Assert.Null(outcome.Error);
        }
        await ArrangeAsync(app, account.Id);
        return account;
    }

    public Guid Id(string model, string remoteId) => StoreIds.For(AccountId, model, remoteId);

    /// <summary>Every row of <typeparamref name="T"/> this account has, deleted ones included, read past the tenant filter.</summary>
    public Task<List<T>> RowsAsync<T>(Guid? account = null) where T : SyncedRecord
    {
        var id = account ?? AccountId;
        return App.WithDbAsync((db, _) => db.Set<T>().IgnoreQueryFilters().AsNoTracking().Where(r => r.LinkedAccountId == id).ToListAsync(Ct));
    }

    public Task InsertAsync(params SyncedRecord[] rows) => App.WithDbAsync(async (db, _) =>
    {
        db.AddRange(rows);
        await db.SaveChangesAsync(Ct);
        return 0;
    });

    public Task MarkDeletedAsync<T>(string remoteId, Guid? account = null) where T : SyncedRecord
    {
        var id = account ?? AccountId;
        return App.WithDbAsync((db, _) => db.Set<T>().IgnoreQueryFilters().Where(r => r.LinkedAccountId == id && r.RemoteId == remoteId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RemoteWasDeleted, true), Ct));
    }

    /// <summary>GET that must answer 200 with JSON.</summary>
    public async Task<JsonElement> GetJsonAsync(string url, HttpClient? client = null)
    {
        var response = await (client ?? Api).GetAsync(url, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url} → {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The ids of one list call's results, in order (one page: callers keep page_size at its default 100).</summary>
    public async Task<List<Guid>> IdsAsync(string url, HttpClient? client = null)
    {
        var json = await GetJsonAsync(url, client);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("next").ValueKind);
        return json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ToList();
    }

    /// <summary>A 400 whose body names every parameter in <paramref name="parameters"/>.</summary>
    public async Task<JsonElement> AssertBadRequestAsync(string url, params string[] parameters)
    {
        var response = await Api.GetAsync(url, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"GET {url} → {(int)response.StatusCode}: {body}");
        var json = JsonDocument.Parse(body).RootElement.Clone();
        foreach (var parameter in parameters)
        {
            Assert.True(json.TryGetProperty(parameter, out var messages), $"GET {url}: the 400 does not name {parameter}: {body}");
            Assert.Equal(JsonValueKind.Array, messages.ValueKind);
            Assert.NotEqual(0, messages.GetArrayLength());
        }
        return json;
    }

    public async Task AssertNotFoundAsync(string url, HttpClient? client = null)
    {
        var response = await (client ?? Api).GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Not found.", json.GetProperty("detail").GetString());
    }

    /// <summary>Rows in the API's keyset order: the sort key, then the id (uuid order = its text order).</summary>
    public static List<Guid> Ordered<T>(IEnumerable<T> rows, Func<T, DateTime> sort, bool descending = false) where T : SyncedRecord
    {
        var ordered = descending
            ? rows.OrderByDescending(sort).ThenByDescending(r => r.Id.ToString(), StringComparer.Ordinal)
            : rows.OrderBy(sort).ThenBy(r => r.Id.ToString(), StringComparer.Ordinal);
        return ordered.Select(r => r.Id).ToList();
    }

    /// <summary>Merge's datetime text for query strings, with milliseconds (what the Node SDK sends).</summary>
    public static string Iso(DateTime value) => Uri.EscapeDataString(value.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));

    public static StoredFile NewFile(Guid account, string remoteId, Guid? folder, Guid? drive, DateTime createdAt) => new()
    {
        Id = StoreIds.For(account, StoreMapper.FileModel, remoteId),
        LinkedAccountId = account,
        RemoteId = remoteId,
        Name = remoteId + ".txt",
        MimeType = "text/plain",
        Size = 3,
        FolderId = folder,
        DriveId = drive,
        Fingerprint = new byte[32],
        CreatedAt = createdAt,
        ModifiedAt = createdAt,
    };

    public static StoredFolder NewFolder(Guid account, string remoteId, Guid? parent, Guid? drive, DateTime createdAt) => new()
    {
        Id = StoreIds.For(account, StoreMapper.FolderModel, remoteId),
        LinkedAccountId = account,
        RemoteId = remoteId,
        Name = remoteId,
        ParentFolderId = parent,
        DriveId = drive,
        Fingerprint = new byte[32],
        CreatedAt = createdAt,
        ModifiedAt = createdAt,
    };

    public static StoredDrive NewDrive(Guid account, string remoteId, DateTime createdAt) => new()
    {
        Id = StoreIds.For(account, StoreMapper.DriveModel, remoteId),
        LinkedAccountId = account,
        RemoteId = remoteId,
        Name = remoteId,
        Fingerprint = new byte[32],
        CreatedAt = createdAt,
        ModifiedAt = createdAt,
    };

    public static StoredUser NewUser(Guid account, string remoteId, string? email, DateTime createdAt) => new()
    {
        Id = StoreIds.For(account, StoreMapper.UserModel, remoteId),
        LinkedAccountId = account,
        RemoteId = remoteId,
        Name = remoteId,
        EmailAddress = email,
        Fingerprint = new byte[32],
        CreatedAt = createdAt,
        ModifiedAt = createdAt,
    };

    public static StoredGroup NewGroup(Guid account, string remoteId, IEnumerable<Guid> users, IEnumerable<Guid> children, DateTime createdAt) => new()
    {
        Id = StoreIds.For(account, StoreMapper.GroupModel, remoteId),
        LinkedAccountId = account,
        RemoteId = remoteId,
        Name = remoteId,
        UsersJson = JsonSerializer.Serialize(users),
        ChildGroupsJson = JsonSerializer.Serialize(children),
        Fingerprint = new byte[32],
        CreatedAt = createdAt,
        ModifiedAt = createdAt,
    };

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await App.DisposeAsync();
    }

    private static async Task ArrangeAsync(TributaryApplication app, Guid account) => await app.WithDbAsync(async (db, _) =>
    {
        // Outside any drive, like a file shared into a Google Drive account from someone else's.
        db.Files.Add(NewFile(account, DrivelessFile, null, null, Base));
        db.Folders.Add(NewFolder(account, DrivelessFolder, null, null, Base));
        // The Sandbox has two drives and two groups: a few more give the filters something to split.
        foreach (var drive in ExtraDrives)
        {
            db.Drives.Add(NewDrive(account, drive, Base));
        }
        Guid User(string remoteId) => StoreIds.For(account, StoreMapper.UserModel, remoteId);
        Guid Group(string remoteId) => StoreIds.For(account, StoreMapper.GroupModel, remoteId);
        db.Groups.Add(NewGroup(account, "group-design", [User("user-ada"), User("user-katherine")], [], Base));
        db.Groups.Add(NewGroup(account, "group-empty", [], [], Base));
        db.Groups.Add(NewGroup(account, "group-leads", [User("user-ada")], [], Base));
        db.Groups.Add(NewGroup(account, "group-ops", [], [Group("group-engineering"), Group("group-design")], Base));
        db.Users.Add(NewUser(account, MixedCaseUser, MixedCaseEmail, Base));
        await db.SaveChangesAsync(Ct);

        await SpreadAsync(db.Files, account, "files");
        await SpreadAsync(db.Folders, account, "folders");
        await SpreadAsync(db.Drives, account, "drives");
        await SpreadAsync(db.Users, account, "users");
        await SpreadAsync(db.Groups, account, "groups");
        await db.SaveChangesAsync(Ct);

        await MarkDeletedAsync(db.Files, account, DeletedFile);
        await MarkDeletedAsync(db.Folders, account, DeletedFolder);
        await MarkDeletedAsync(db.Users, account, DeletedUser);
        return 0;
    });

    private static async Task MarkDeletedAsync<T>(DbSet<T> set, Guid account, string remoteId) where T : SyncedRecord =>
        Assert.Equal(1, await set.IgnoreQueryFilters().Where(r => r.LinkedAccountId == account && r.RemoteId == remoteId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RemoteWasDeleted, true), Ct));

    // created_at rises by a minute every two rows and modified_at falls by a minute every three, so
    // the two orders differ and both have ties (which the id breaks).
    private static async Task SpreadAsync<T>(DbSet<T> set, Guid account, string path) where T : SyncedRecord
    {
        var rows = (await set.IgnoreQueryFilters().Where(r => r.LinkedAccountId == account).ToListAsync(Ct))
            .OrderBy(r => r.RemoteId, StringComparer.Ordinal).ToList();
        for (var k = 0; k < rows.Count; k++)
        {
            rows[k].CreatedAt = Base.AddMinutes(k / 2);
            rows[k].ModifiedAt = Base.AddDays(1).AddMinutes((rows.Count - 1 - k) / 3);
            rows[k].RemoteDataJson = JsonSerializer.Serialize(new[] { new { path = $"/{path}/{rows[k].RemoteId}", data = new { id = rows[k].RemoteId } } });
        }
    }
}
