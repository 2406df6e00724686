using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Server.Organization;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Organization;

public sealed class AuditTrailEndpointsTests
{
    private const string Path = "/api/filestorage/v1/audit-trail";
    private static readonly string[] LoopbackAddresses = ["127.0.0.1", "::1", "::ffff:127.0.0.1"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GenerateKey_RecordsCreatedProductionKeyEvent_WithApiRoleAndCallerIp(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        using var client = new HttpClient { BaseAddress = app.ClientOptions.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", org.ProductionKey);

        var response = await client.PostAsJsonAsync("/api/filestorage/v1/generate-key", new { name = "backend" }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var trail = await client.GetFromJsonAsync<JsonElement>(Path + "?event_type=CREATED_REMOTE_PRODUCTION_API_KEY", Ct);
        var events = trail.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(2, events.Count);  // the key made with the organization, and this one
        var newest = events[0];
        Assert.Equal("CREATED_REMOTE_PRODUCTION_API_KEY", newest.GetProperty("event_type").GetString());
        Assert.Equal("API", newest.GetProperty("role").GetString());
        Assert.Contains(newest.GetProperty("ip_address").GetString(), LoopbackAddresses);
        Assert.Contains("backend", newest.GetProperty("event_description").GetString(), StringComparison.Ordinal);
        Assert.Contains("default", newest.GetProperty("user_name").GetString(), StringComparison.Ordinal);
        Assert.Equal("SYSTEM", events[1].GetProperty("role").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RegenerateKey_WithTestKey_RecordsDeletedAndCreatedTestKeyEvents(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.TestKey);

        var response = await client.PostAsJsonAsync("/api/filestorage/v1/regenerate-key", new { name = "ci" }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var newKey = (await response.JsonAsync()).GetProperty("key").GetString()!;

        using var fresh = app.CreateApiClient(newKey);
        var trail = await fresh.GetFromJsonAsync<JsonElement>(Path, Ct);
        var types = trail.GetProperty("results").EnumerateArray().Select(e => e.GetProperty("event_type").GetString()).ToList();
        Assert.Contains("DELETED_TEST_API_KEY", types);
        Assert.Equal(2, types.Count(t => t == "CREATED_TEST_API_KEY"));
        Assert.DoesNotContain("REGENERATED_PRODUCTION_API_KEY", types);
        var apiEvents = trail.GetProperty("results").EnumerateArray().Where(e => e.GetProperty("role").GetString() == "API").ToList();
        Assert.Equal(["CREATED_TEST_API_KEY", "DELETED_TEST_API_KEY"],
            apiEvents.Select(e => e.GetProperty("event_type").GetString()!).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AuditTrail_HidesEvents_OfAnotherOrganization(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var ours = await app.CreateOrganizationAsync("Ours");
        var theirs = await app.CreateOrganizationAsync("Theirs");
        using var theirClient = app.CreateApiClient(theirs.ProductionKey);
        for (var i = 0; i < 3; i++)
        {
            await theirClient.PostAsJsonAsync("/api/filestorage/v1/generate-key", new { name = $"their-key-{i}" }, Ct);
        }
        await theirClient.PostAsJsonAsync("/api/filestorage/v1/regenerate-key", new { name = "their-rotated" }, Ct);
        var theirIds = await app.WithDbAsync((db, _) => db.AuditEvents.IgnoreQueryFilters()
            .Where(e => e.OrganizationId == theirs.Id).Select(e => e.Id).ToListAsync(Ct));
        Assert.Equal(6, theirIds.Count);

        foreach (var key in new[] { ours.ProductionKey, ours.TestKey })
        {
            using var client = app.CreateApiClient(key);
            foreach (var query in new[] { "", "?event_type=REGENERATED_PRODUCTION_API_KEY", "?event_type=CREATED_REMOTE_PRODUCTION_API_KEY", "?page_size=1" })
            {
                var page = await client.GetFromJsonAsync<JsonElement>(Path + query, Ct);
                Assert.DoesNotContain(page.Ids(), theirIds.Contains);
                Assert.DoesNotContain("their", page.ToString(), StringComparison.Ordinal);
            }
            var all = await client.GetFromJsonAsync<JsonElement>(Path, Ct);
            Assert.Equal(2, all.Ids().Count);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AuditTrail_ReturnsOnlyMatchingEvents_ForDateEventTypeAndEmailFilters(DatabaseKind kind)
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 1, 15, 11, 0, 0, TimeSpan.Zero));
        await using var app = await TributaryApplication.StartAsync(kind, time: time);
        var org = await app.CreateOrganizationAsync();  // two key events at 11:00
        var alice = new AuditActor("ADMIN", "10.0.0.1", "Alice", "alice@example.com");
        var bob = new AuditActor("DEVELOPER", "10.0.0.2", "Bob", "bob@example.com");
        async Task<Guid> Record(string at, AuditActor actor, string type)
        {
            time.Set(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture));
            return await app.WithDbAsync(async (db, sp) =>
            {
                sp.GetRequiredService<AuditTrail>().Record(db, org.Id, actor, type, $"{type} by {actor.UserName}");
                await db.SaveChangesAsync(Ct);
                return db.ChangeTracker.Entries<Data.Entities.AuditEvent>().Single().Entity.Id;
            });
        }
        var e1 = await Record("2026-01-15T12:00:00.000Z", alice, "INVITED_USER");
        var e2 = await Record("2026-01-15T12:00:00.500Z", bob, "CHANGED_SCOPES");
        var e3 = await Record("2026-01-15T12:00:01.000Z", alice, "CHANGED_SCOPES");
        var e4 = await Record("2026-01-15T12:30:00.000Z", bob, "MUTED_ISSUE");
        var e5 = await Record("2026-01-15T13:00:00.000Z", alice, "INVITED_USER");
        // The organization's two key events, both at 11:00: newest first means the larger id first.
        var keyEvents = await app.WithDbAsync((db, _) => db.AuditEvents.IgnoreQueryFilters()
            .Where(e => e.OrganizationId == org.Id && e.Role == "SYSTEM")
            .ToDictionaryAsync(e => e.EventType, e => e.Id, Ct));
        var createdTest = keyEvents["CREATED_TEST_API_KEY"];
        var newestFirst = keyEvents.Values.OrderDescending().ToList();
        var (k1, k2) = (newestFirst[0], newestFirst[1]);
        using var client = app.CreateApiClient(org.ProductionKey);

        var cases = new (string Query, Guid[] Expected)[]
        {
            ("start_date=2026-01-15T12:00:00Z", [e5, e4, e3, e2, e1]),
            ("start_date=2026-01-15T12:00:00.500Z", [e5, e4, e3, e2]),
            ("start_date=2026-01-15T12:00:00.501Z", [e5, e4, e3]),
            ("start_date=2026-01-15T12:00:00.5", [e5, e4, e3, e2]),          // no zone = UTC
            ("start_date=2026-01-15T12:30:00", [e5, e4]),
            ("start_date=2026-01-15T14:30:00%2B02:00", [e5, e4]),            // offset, encoded
            ("start_date=2026-01-15T14:30:00+02:00", [e5, e4]),              // offset, '+' unencoded
            ("start_date=2026-01-15T07:30:00-05:00", [e5, e4]),
            ("end_date=2026-01-15T12:00:00.499Z", [e1, k1, k2]),
            ("end_date=2026-01-15T12:00:00.500Z", [e2, e1, k1, k2]),
            ("end_date=2026-01-15T12:00:01", [e3, e2, e1, k1, k2]),
            ("end_date=2026-01-15T13:00:01.000%2B01:00", [e3, e2, e1, k1, k2]),
            ("end_date=2026-01-15T13:00:00%2B01:00", [e1, k1, k2]),
            ("end_date=2026-01-15T11:00:00Z", [k1, k2]),
            ("end_date=2026-01-15T10:59:59.999Z", []),
            ("event_type=CREATED_TEST_API_KEY", [createdTest]),
            ("start_date=2026-01-15T12:00:00.250Z&end_date=2026-01-15T12:30:00Z", [e4, e3, e2]),
            ("start_date=2026-01-15T13:00:00.001Z", []),
            ("event_type=CHANGED_SCOPES", [e3, e2]),
            ("event_type=INVITED_USER&start_date=2026-01-15T12:00:00.001Z", [e5]),
            ("event_type=DISABLED_MERGE_WEBHOOK", []),
            ("user_email=alice@example.com", [e5, e3, e1]),
            ("user_email=bob%40example.com&event_type=MUTED_ISSUE", [e4]),
            ("user_email=carol@example.com", []),
        };

        await client.AssertListedIdsAsync(Path, cases);

        var first = (await client.GetFromJsonAsync<JsonElement>($"{Path}?user_email=alice@example.com", Ct)).GetProperty("results")[0];
        Assert.Equal("ADMIN", first.GetProperty("role").GetString());
        Assert.Equal("10.0.0.1", first.GetProperty("ip_address").GetString());
        Assert.Equal("Alice", first.GetProperty("user_name").GetString());
        Assert.Equal("2026-01-15T13:00:00Z", first.GetProperty("created_at").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AuditTrail_Returns400NamingParameter_WhenFilterInvalid(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        var cases = new (string Query, string Field)[]
        {
            ("event_type=NOT_AN_EVENT", "event_type"),
            ("event_type=created_test_api_key", "event_type"),
            ("start_date=yesterday", "start_date"),
            ("start_date=2026-02-30", "start_date"),
            ("end_date=15/01/2026", "end_date"),
            ("end_date=1768478400", "end_date"),
            ("user_email=" + new string('a', 255), "user_email"),
        };

        await client.AssertFieldErrorsAsync(Path, cases.Concat(ApiResponses.InvalidPageSizes));
    }
}
