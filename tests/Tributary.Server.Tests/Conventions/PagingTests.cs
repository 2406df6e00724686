using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Conventions;

/// <summary>
/// Keyset cursors through the real endpoints on both databases: linked-accounts (oldest first) and
/// audit-trail (newest first), with distinct timestamps and with every row on the same timestamp,
/// where only the id tie-breaker orders them.
/// </summary>
public sealed class PagingTests
{
    private const string LinkedAccounts = "/api/filestorage/v1/linked-accounts";
    private const string AuditTrail = "/api/filestorage/v1/audit-trail";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<DatabaseKind, bool> BothDatabasesWithAndWithoutTies => new()
    {
        { DatabaseKind.Sqlite, false },
        { DatabaseKind.Sqlite, true },
        { DatabaseKind.Postgres, false },
        { DatabaseKind.Postgres, true },
    };

    [Theory]
    [MemberData(nameof(BothDatabasesWithAndWithoutTies))]
    public async Task LinkedAccounts_VisitsEveryRowOnceInOrder_WhenFollowingNextThenPrevious(DatabaseKind kind, bool sameTimestamp)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, time: time);
        var org = await app.CreateOrganizationAsync();
        var created = new List<(Guid Id, DateTimeOffset At)>();
        for (var i = 0; i < 7; i++)
        {
            if (!sameTimestamp)
            {
                time.Advance(TimeSpan.FromMilliseconds(1500));
            }
            created.Add(((await app.CreateLinkedAccountAsync(org.Id, originId: $"user-{i}")).Id, time.GetUtcNow()));
        }
        var expected = created.OrderBy(c => c.At).ThenBy(c => c.Id).Select(c => c.Id).ToList();
        using var client = app.CreateApiClient(org.ProductionKey);

        await AssertRoundTripAsync(client, LinkedAccounts, expected);
    }

    [Theory]
    [MemberData(nameof(BothDatabasesWithAndWithoutTies))]
    public async Task AuditTrail_VisitsEveryRowOnceInOrder_WhenFollowingNextThenPrevious(DatabaseKind kind, bool sameTimestamp)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, time: time);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);
        for (var i = 0; i < 5; i++)
        {
            if (!sameTimestamp)
            {
                time.Advance(TimeSpan.FromMilliseconds(1500));
            }
            var response = await client.PostAsJsonAsync("/api/filestorage/v1/generate-key", new { name = $"key-{i}" }, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var expected = await app.WithDbAsync((db, _) => db.AuditEvents.IgnoreQueryFilters()
            .Where(e => e.OrganizationId == org.Id)
            .Select(e => new { e.Id, e.CreatedAt }).ToListAsync(Ct));
        Assert.Equal(7, expected.Count);

        await AssertRoundTripAsync(client, AuditTrail,
            expected.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Select(e => e.Id).ToList());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Cursor_Returns400NamingCursor_WhenTampered(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        for (var i = 0; i < 3; i++)
        {
            await app.CreateLinkedAccountAsync(org.Id, originId: $"user-{i}");
        }
        using var client = app.CreateApiClient(org.ProductionKey);
        var first = await client.GetFromJsonAsync<JsonElement>(LinkedAccounts + "?page_size=1", Ct);
        var next = first.Cursor("next")!;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{LinkedAccounts}?page_size=1&cursor={next}", Ct)).StatusCode);

        var flipped = next[..10] + (next[10] == 'A' ? 'B' : 'A') + next[11..];
        var lastFlipped = next[..^1] + (next[^1] == 'A' ? 'Q' : 'A');
        string[] tampered =
        [
            flipped,
            lastFlipped,
            next[..^1],
            next[..^4],
            next[..20],
            next + "A",
            next + "AAAA",
            WebEncoders.Base64UrlEncode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(42)),
            WebEncoders.Base64UrlEncode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(7)),
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("p=2021-01-06 03:24:53.434326+00:00")),
            "not a cursor!",
            "%%%",
            "\u00e9\u00e8",
            "A",
            new string('A', 999),
            new string('A', 5000),
        ];

        foreach (var cursor in tampered)
        {
            var response = await client.GetAsync($"{LinkedAccounts}?page_size=1&cursor={Uri.EscapeDataString(cursor)}", Ct);
            await response.AssertFieldErrorAsync("cursor");
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Cursor_Returns400_WhenUsedOnAnotherListing(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        await app.CreateLinkedAccountAsync(org.Id, originId: "a");
        await app.CreateLinkedAccountAsync(org.Id, originId: "b");
        using var client = app.CreateApiClient(org.ProductionKey);
        var trailCursor = (await client.GetFromJsonAsync<JsonElement>(AuditTrail + "?page_size=1", Ct)).Cursor("next");
        var accountsCursor = (await client.GetFromJsonAsync<JsonElement>(LinkedAccounts + "?page_size=1", Ct)).Cursor("next");
        Assert.NotNull(trailCursor);
        Assert.NotNull(accountsCursor);

        var message = await (await client.GetAsync($"{LinkedAccounts}?cursor={trailCursor}", Ct)).AssertFieldErrorAsync("cursor");
        await (await client.GetAsync($"{AuditTrail}?cursor={accountsCursor}", Ct)).AssertFieldErrorAsync("cursor");

        Assert.Contains("next", message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkedAccounts_NoDuplicatesOrSkips_WhenRowsInsertedWhilePaging(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, time: time);
        var org = await app.CreateOrganizationAsync();
        var original = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            original.Add((await app.CreateLinkedAccountAsync(org.Id, originId: $"user-{i}")).Id);
        }
        using var client = app.CreateApiClient(org.ProductionKey);

        var page = await client.GetFromJsonAsync<JsonElement>(LinkedAccounts + "?page_size=3", Ct);
        var seen = page.Ids();

        // Rows before the cursor (backdated), among the rows still to read, and after all of them.
        var now = time.GetUtcNow();
        time.Set(now.AddHours(-1));
        var backdated = (await app.CreateLinkedAccountAsync(org.Id, originId: "backdated")).Id;
        time.Set(now.AddSeconds(-2.5));
        var between = (await app.CreateLinkedAccountAsync(org.Id, originId: "between")).Id;
        time.Set(now.AddSeconds(5));
        var later = (await app.CreateLinkedAccountAsync(org.Id, originId: "later")).Id;

        while (page.Cursor("next") is { } next)
        {
            page = await client.GetFromJsonAsync<JsonElement>($"{LinkedAccounts}?page_size=3&cursor={next}", Ct);
            seen.AddRange(page.Ids());
        }

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(original, seen.Where(original.Contains).ToList());
        Assert.DoesNotContain(backdated, seen);
        Assert.Contains(between, seen);
        Assert.Equal(later, seen[^1]);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AuditTrail_NoDuplicatesOrSkips_WhenEventsRecordedWhilePaging(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, time: time);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await client.PostAsJsonAsync("/api/filestorage/v1/generate-key", new { name = $"key-{i}" }, Ct);
        }
        var all = (await client.GetFromJsonAsync<JsonElement>(AuditTrail, Ct)).Ids();
        Assert.Equal(7, all.Count);

        var page = await client.GetFromJsonAsync<JsonElement>(AuditTrail + "?page_size=3", Ct);
        var seen = page.Ids();
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await client.PostAsJsonAsync("/api/filestorage/v1/generate-key", new { name = $"while-paging-{i}" }, Ct);
        }
        while (page.Cursor("next") is { } next)
        {
            page = await client.GetFromJsonAsync<JsonElement>($"{AuditTrail}?page_size=3&cursor={next}", Ct);
            seen.AddRange(page.Ids());
        }

        // Newest first: the new events sort before the cursor, so the walk shows exactly the old ones.
        Assert.Equal(all, seen);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkedAccounts_ReturnsEmptyEnvelope_WhenNoRows(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        var page = await client.GetFromJsonAsync<JsonElement>(LinkedAccounts, Ct);

        Assert.Equal(JsonValueKind.Null, page.GetProperty("next").ValueKind);
        Assert.Equal(JsonValueKind.Null, page.GetProperty("previous").ValueKind);
        Assert.Equal(0, page.GetProperty("results").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkedAccounts_OmitsNext_WhenPageIsExactlyFull(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        for (var i = 0; i < 3; i++)
        {
            await app.CreateLinkedAccountAsync(org.Id, originId: $"user-{i}");
        }
        using var client = app.CreateApiClient(org.ProductionKey);

        var page = await client.GetFromJsonAsync<JsonElement>(LinkedAccounts + "?page_size=3", Ct);

        Assert.Equal(3, page.Ids().Count);
        Assert.Null(page.Cursor("next"));
        Assert.Null(page.Cursor("previous"));
    }

    /// <summary>Walks <c>next</c> to the end, then <c>previous</c> back to the start, with page_size=3.</summary>
    private static async Task AssertRoundTripAsync(HttpClient client, string path, List<Guid> expected)
    {
        var everything = (await client.GetFromJsonAsync<JsonElement>(path + "?page_size=100", Ct)).Ids();
        Assert.Equal(expected, everything);

        var pages = new List<List<Guid>>();
        var page = await client.GetFromJsonAsync<JsonElement>(path + "?page_size=3", Ct);
        Assert.Null(page.Cursor("previous"));
        pages.Add(page.Ids());
        while (page.Cursor("next") is { } next)
        {
            // The SDK re-sends every parameter with the cursor; unknown ones are ignored.
            page = await client.GetFromJsonAsync<JsonElement>($"{path}?page_size=3&custom_param=x&cursor={Uri.EscapeDataString(next)}", Ct);
            Assert.NotNull(page.Cursor("previous"));
            pages.Add(page.Ids());
            Assert.True(pages.Count <= 10, "next never ended");
        }
        Assert.Equal([3, 3, 1], pages.Select(p => p.Count));
        Assert.Equal(expected, pages.SelectMany(p => p).ToList());

        var backward = new List<List<Guid>> { page.Ids() };
        while (page.Cursor("previous") is { } previous)
        {
            page = await client.GetFromJsonAsync<JsonElement>($"{path}?page_size=3&cursor={Uri.EscapeDataString(previous)}", Ct);
            Assert.NotNull(page.Cursor("next"));
            backward.Add(page.Ids());
            Assert.True(backward.Count <= 10, "previous never ended");
        }
        backward.Reverse();
        Assert.Equal(pages, backward);

        // And forward again from the first page reached by walking back.
        var again = await client.GetFromJsonAsync<JsonElement>($"{path}?page_size=3&cursor={Uri.EscapeDataString(page.Cursor("next")!)}", Ct);
        Assert.Equal(pages[1], again.Ids());
    }
}
