using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Cli;

/// <summary>
/// The operator verbs as an operator runs them: the built executable (<c>dotnet Tributary.Server.dll
/// orgs create …</c>) in a child process, configured by environment variables, against the same
/// database a running server uses; effects are checked through that server's API.
/// </summary>
public sealed class CliTests
{
    private const string AuditTrail = "/api/filestorage/v1/audit-trail";

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task OrgsCreate_PrintsKeysThatWorkAgainstTheServer(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TributaryApplication.StartAsync(kind);
        var env = app.ProcessEnvironment();

        var created = await TributaryExecutable.RunJsonAsync(env, "orgs", "create", "--name", "  Cli Co  ");
        var orgId = Guid.Parse(created.GetProperty("organization_id").GetString()!);
        Assert.Equal("Cli Co", created.GetProperty("name").GetString());
        var production = created.GetProperty("production_key").GetString()!;
        var test = created.GetProperty("test_key").GetString()!;
        Assert.StartsWith("trb_live_", production, StringComparison.Ordinal);
        Assert.StartsWith("trb_test_", test, StringComparison.Ordinal);

        using var client = app.CreateApiClient(production);
        var trail = await client.GetFromJsonAsync<JsonElement>(AuditTrail, ct);
        var events = trail.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(
            ["CREATED_REMOTE_PRODUCTION_API_KEY", "CREATED_TEST_API_KEY"],
            events.Select(e => e.GetProperty("event_type").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Equal("SYSTEM", e.GetProperty("role").GetString()));
        using var testClient = app.CreateApiClient(test);
        Assert.Equal(HttpStatusCode.OK, (await testClient.GetAsync(AuditTrail, ct)).StatusCode);

        var listed = await TributaryExecutable.RunJsonAsync(env, "orgs", "list");
        var org = Assert.Single(listed.EnumerateArray());
        Assert.Equal(orgId, org.GetProperty("id").GetGuid());
        Assert.Equal("Cli Co", org.GetProperty("name").GetString());

        // Without --json: a sentence for people, the keys shown once.
        var text = await TributaryExecutable.RunAsync(env, "orgs", "create", "--name", "Text Co");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("Created organization \"Text Co\"", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("trb_live_", text.Stdout, StringComparison.Ordinal);
        var listedText = await TributaryExecutable.RunAsync(env, "orgs", "list");
        Assert.Contains(orgId.ToString(), listedText.Stdout, StringComparison.Ordinal);
        Assert.Contains("Text Co", listedText.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Keys_CreateListRotateRevoke_TakeEffectOnTheServer(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TributaryApplication.StartAsync(kind);
        var env = app.ProcessEnvironment();
        var created = await TributaryExecutable.RunJsonAsync(env, "orgs", "create", "--name", "Keys Co");
        var orgId = created.GetProperty("organization_id").GetString()!;
        var production = created.GetProperty("production_key").GetString()!;

        var ci = await TributaryExecutable.RunJsonAsync(env, "keys", "create", "--org", orgId, "--environment", "test", "--name", "ci");
        Assert.Equal("test", ci.GetProperty("environment").GetString());
        Assert.Equal("ci", ci.GetProperty("name").GetString());
        var ciKey = ci.GetProperty("key").GetString()!;
        Assert.StartsWith("trb_test_", ciKey, StringComparison.Ordinal);
        using var ciClient = app.CreateApiClient(ciKey);
        Assert.Equal(HttpStatusCode.OK, (await ciClient.GetAsync(AuditTrail, ct)).StatusCode);

        var listResult = await TributaryExecutable.RunAsync(env, "keys", "list", "--org", orgId, "--json");
        Assert.True(listResult.ExitCode == 0, listResult.ToString());
        Assert.DoesNotContain(production, listResult.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(ciKey, listResult.Stdout, StringComparison.Ordinal);
        var keys = JsonDocument.Parse(listResult.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(3, keys.Count);
        Assert.All(keys, k => Assert.Equal(JsonValueKind.Null, k.GetProperty("key").ValueKind));
        var productionId = keys.Single(k => k.GetProperty("name").GetString() == "default").GetProperty("id").GetString()!;

        // rotate: the old key stops working at once, the new one works.
        var rotated = await TributaryExecutable.RunJsonAsync(env, "keys", "rotate", "--key", productionId, "--name", "rotated");
        var rotatedKey = rotated.GetProperty("key").GetString()!;
        Assert.Equal("rotated", rotated.GetProperty("name").GetString());
        Assert.Equal("production", rotated.GetProperty("environment").GetString());
        using var oldClient = app.CreateApiClient(production);
        Assert.Equal(HttpStatusCode.Unauthorized, (await oldClient.GetAsync(AuditTrail, ct)).StatusCode);
        using var rotatedClient = app.CreateApiClient(rotatedKey);
        Assert.Equal(HttpStatusCode.OK, (await rotatedClient.GetAsync(AuditTrail, ct)).StatusCode);

        // revoke: the key stops working (the server just used it, so within the credential cache's
        // bound: the CLI is another process); rotating or revoking it again is an error that says why.
        var rotatedId = rotated.GetProperty("id").GetString()!;
        var revoked = await TributaryExecutable.RunJsonAsync(env, "keys", "revoke", "--key", rotatedId);
        Assert.NotEqual(JsonValueKind.Null, revoked.GetProperty("revoked_at").ValueKind);
        await CredentialCacheBound.AssertRejectedWithinBoundAsync(rotatedClient, AuditTrail);
        foreach (var verb in new[] { "rotate", "revoke" })
        {
            var again = await TributaryExecutable.RunAsync(env, "keys", verb, "--key", rotatedId);
            AssertFailedWith(again, $"API key {rotatedId} was already revoked");
        }

        // The operator's actions are in the organization's audit trail, as SYSTEM.
        var trail = await ciClient.GetFromJsonAsync<JsonElement>(AuditTrail, ct);
        var types = trail.GetProperty("results").EnumerateArray()
            .Select(e => (Type: e.GetProperty("event_type").GetString(), Role: e.GetProperty("role").GetString())).ToList();
        Assert.Equal(
            [
                ("DELETED_REMOTE_PRODUCTION_API_KEY", "SYSTEM"), ("REGENERATED_PRODUCTION_API_KEY", "SYSTEM"), ("CREATED_TEST_API_KEY", "SYSTEM"),
            ],
            types.Take(3));

        var stored = await app.WithDbAsync((db, _) => db.ApiKeys.IgnoreQueryFilters().Where(k => k.OrganizationId == Guid.Parse(orgId)).ToListAsync(ct));
        Assert.Equal(["ci", "default-test"], stored.Where(k => k.RevokedAt is null).Select(k => k.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task OrgsSet_RateLimit_IsAuditedAndEnforcedByTheServer(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        // A fixed clock keeps the three requests below in one rate-limit window.
        await using var app = await TributaryApplication.StartAsync(kind, time: new ManualTimeProvider());
        var env = app.ProcessEnvironment();
        var created = await TributaryExecutable.RunJsonAsync(env, "orgs", "create", "--name", "Limits Co");
        var orgId = created.GetProperty("organization_id").GetString()!;
        using var client = app.CreateApiClient(created.GetProperty("production_key").GetString());

        var set = await TributaryExecutable.RunJsonAsync(env, "orgs", "set", "--org", orgId, "--rate-limit", "2");
        Assert.Equal(2, set.GetProperty("rate_limit_per_minute").GetInt32());
        Assert.Contains("rate limit default → 2/min", set.GetProperty("changes")[0].GetString(), StringComparison.Ordinal);

        var trail = await client.GetFromJsonAsync<JsonElement>($"{AuditTrail}?event_type=CHANGED_ORGANIZATION_SETTINGS", ct);
        var changed = Assert.Single(trail.GetProperty("results").EnumerateArray());
        Assert.Equal("SYSTEM", changed.GetProperty("role").GetString());
        Assert.Contains("2/min", changed.GetProperty("event_description").GetString(), StringComparison.Ordinal);

        // The server applies the new limit to the organization's linked accounts.
        var account = await app.CreateLinkedAccountAsync(Guid.Parse(orgId));
        using var accountClient = app.CreateApiClient(created.GetProperty("production_key").GetString(), account.Token);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await accountClient.GetAsync("/api/filestorage/v1/account-details", ct);
            statuses.Add(response.StatusCode);
            if (i == 0)
            {
                Assert.Equal("2", response.Headers.GetValues("X-RateLimit-Limit").Single());
            }
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);

        var renamed = await TributaryExecutable.RunJsonAsync(env, "orgs", "set", "--org", orgId, "--clear-rate-limit", "--name", "Renamed Co");
        Assert.Equal(JsonValueKind.Null, renamed.GetProperty("rate_limit_per_minute").ValueKind);
        Assert.Equal("Renamed Co", renamed.GetProperty("name").GetString());
        var org = Assert.Single((await TributaryExecutable.RunJsonAsync(env, "orgs", "list")).EnumerateArray());
        Assert.Equal("Renamed Co", org.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, org.GetProperty("rate_limit_per_minute").ValueKind);
        trail = await client.GetFromJsonAsync<JsonElement>($"{AuditTrail}?event_type=CHANGED_ORGANIZATION_SETTINGS", ct);
        Assert.Equal(2, trail.GetProperty("results").GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Mistakes_ExitNonZero_WithAMessageThatSaysWhatToDo(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var env = app.ProcessEnvironment();
        var created = await TributaryExecutable.RunJsonAsync(env, "orgs", "create", "--name", "Mistakes Co");
        var orgId = created.GetProperty("organization_id").GetString()!;
        var unknown = Guid.NewGuid().ToString();

        (string[] Args, string Expected)[] mistakes =
        [
            (["keys", "list", "--org", unknown], $"No organization {unknown}: list them with `orgs list`"),
            (["orgs", "set", "--org", unknown, "--rate-limit", "5"], $"No organization {unknown}"),
            (["keys", "create", "--org", unknown, "--name", "x"], $"No organization {unknown}"),
            (["keys", "rotate", "--key", unknown], $"No API key {unknown}: list keys with `keys list --org <id>`"),
            (["keys", "revoke", "--key", unknown], $"No API key {unknown}"),
            (["keys", "create", "--org", orgId, "--environment", "staging", "--name", "x"], "Argument 'staging' not recognized. Must be one of:"),
            (["keys", "list", "--org", "not-a-guid"], "Cannot parse argument 'not-a-guid' for option '--org'"),
            (["keys", "create", "--org", orgId], "Option '--name' is required"),
            (["orgs", "create", "--name", "   "], "--name must not be blank"),
            (["orgs", "create", "--name", new string('x', 201)], "--name must be at most 200 characters"),
            (["keys", "create", "--org", orgId, "--name", " "], "--name must not be blank"),
            (["orgs", "set", "--org", orgId], "Nothing to change: pass --name, --rate-limit or --clear-rate-limit"),
            (["orgs", "set", "--org", orgId, "--rate-limit", "0"], "--rate-limit must be at least 1"),
            (["orgs", "set", "--org", orgId, "--rate-limit", "5", "--clear-rate-limit"], "Pass either --rate-limit or --clear-rate-limit, not both"),
        ];
        // One after the other: side by side they only fight over the CPU with the other tests.
        foreach (var (args, expected) in mistakes)
        {
            var result = await TributaryExecutable.RunAsync(env, args);
            AssertFailedWith(result, expected);
            if (args.Contains("staging"))
            {
                Assert.Contains("'production'", result.Stderr, StringComparison.Ordinal);
                Assert.Contains("'test'", result.Stderr, StringComparison.Ordinal);
            }
        }

        // With --json a script gets the error as JSON on stdout, too.
        var json = await TributaryExecutable.RunAsync(env, "keys", "list", "--org", unknown, "--json");
        AssertFailedWith(json, $"No organization {unknown}");
        Assert.Contains($"No organization {unknown}", JsonDocument.Parse(json.Stdout).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);

        // None of the mistakes changed anything.
        var orgs = await TributaryExecutable.RunJsonAsync(env, "orgs", "list");
        var org = Assert.Single(orgs.EnumerateArray());
        Assert.Equal("Mistakes Co", org.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, org.GetProperty("rate_limit_per_minute").ValueKind);
        Assert.Equal(2, (await TributaryExecutable.RunJsonAsync(env, "keys", "list", "--org", orgId)).GetArrayLength());
    }

    [Fact]
    public async Task ConfigShow_MasksPasswordsAndTheMasterKey()
    {
        using var data = new TemporaryDirectory();
        const string password = "s3cr3t-Pa55";
        const string quoted = "qu;ot=ed";
        var env = TributaryExecutable.Environment(DatabaseKind.Postgres,
            $"Host=db.internal;Port=5432;Username=tributary;Password={password};Database=tributary;SSL Password='{quoted}'", data.Path);

        var json = await TributaryExecutable.RunAsync(env, "config", "show", "--json");
        var text = await TributaryExecutable.RunAsync(env, "config", "show");
        foreach (var result in new[] { json, text })
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            foreach (var secret in new[] { password, "qu;ot", "ot=ed", TributaryApplication.MasterKey })
            {
                Assert.DoesNotContain(secret, result.Stdout + result.Stderr, StringComparison.Ordinal);
            }
        }
        var shown = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal("Postgres", shown.GetProperty("database").GetProperty("provider").GetString());
        Assert.Equal("Host=db.internal;Port=5432;Username=tributary;Password=***;Database=tributary;SSL Password=***",
            shown.GetProperty("database").GetProperty("connection_string").GetString());
        Assert.Equal("(set, hidden)", shown.GetProperty("master_key").GetString());
        Assert.Equal("configuration (Tributary:MasterKey)", shown.GetProperty("master_key_source").GetString());
        Assert.True(shown.GetProperty("valid").GetBoolean());
        Assert.Equal(data.Path, shown.GetProperty("data_directory").GetString());

        // Npgsql's aliases for the password are secrets too.
        var alias = TributaryExecutable.Environment(DatabaseKind.Postgres, $"Host=db;Username=u;Pwd={password}", data.Path);
        var aliasResult = await TributaryExecutable.RunAsync(alias, "config", "show", "--json");
        Assert.True(aliasResult.ExitCode == 0, aliasResult.ToString());
        Assert.DoesNotContain(password, aliasResult.Stdout, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string?, string?, string> InvalidConfigurations => new()
    {
        // verb (space-separated; "" is the server), provider, connection string, master key, expected message
        { "orgs list", "Postgres", null, TributaryApplication.MasterKey, "Database:ConnectionString is required when Database:Provider is 'Postgres'" },
        { "orgs list", "Sqlite", null, "not-base64!", "Tributary:MasterKey must be base64 of exactly 32 bytes; create one with: openssl rand -base64 32" },
        { "keys create --org 01a20287-44a8-7fe5-bc0a-f373917f749b --name x", "Sqlite", null, "c2hvcnQ=", "Tributary:MasterKey must be base64 of exactly 32 bytes" },
        { "migrate", "Postgres", "Host=127.0.0.1;Database=x", null, "Tributary:MasterKey is required on PostgreSQL" },
        { "migrate", "Oracle", null, null, "Database:Provider 'Oracle' is not supported: use 'Sqlite'" },
        { "config show", "Postgres", null, TributaryApplication.MasterKey, "Database:ConnectionString is required when Database:Provider is 'Postgres'" },
        { "", "Postgres", null, TributaryApplication.MasterKey, "Database:ConnectionString is required when Database:Provider is 'Postgres'" },
        { "", "Sqlite", null, "not-base64!", "Tributary:MasterKey must be base64 of exactly 32 bytes" },
        { "serve", "Postgres", null, null, "Tributary:MasterKey is required on PostgreSQL" },
        { "serve", "Oracle", null, null, "Database:Provider 'Oracle' is not supported: use 'Sqlite'" },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigurations))]
    public async Task InvalidConfiguration_ExitsWithTheValidatorsMessage_NotAStackTrace(
        string verb, string provider, string? connectionString, string? masterKey, string expected)
    {
        using var data = new TemporaryDirectory();
        var env = TributaryExecutable.Environment(DatabaseKind.Sqlite, connectionString, data.Path, masterKey);
        env["Database__Provider"] = provider;
        string[] args = verb.Length == 0 || verb == "serve"
            ? [.. verb.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--urls", "http://127.0.0.1:0"]
            : verb.Split(' ');

        var result = await TributaryExecutable.RunAsync(env, args);

        AssertFailedWith(result, expected);
        Assert.Equal(1, result.ExitCode);
        if (verb is "" or "serve")
        {
            Assert.Contains("Tributary did not start: the configuration is invalid.", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Migrate_CreatesTheSchema_AndIsIdempotent(DatabaseKind kind)
    {
        using var data = new TemporaryDirectory();
        // SQLite: no connection string, so the default file in the data directory is created.
        await using var database = kind == DatabaseKind.Postgres ? await TestDatabase.CreateEmptyPostgresAsync() : null;
        var env = TributaryExecutable.Environment(kind, database?.ConnectionString, data.Path);

        var first = await TributaryExecutable.RunJsonAsync(env, "migrate");
        Assert.True(first.GetProperty("migrated").GetBoolean());
        Assert.Equal(kind.ToString(), first.GetProperty("provider").GetString());
        var applied = first.GetProperty("applied_migrations").EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.NotEmpty(applied);
        var second = await TributaryExecutable.RunJsonAsync(env, "migrate");
        Assert.Equal(applied, second.GetProperty("applied_migrations").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(0, (await TributaryExecutable.RunJsonAsync(env, "orgs", "list")).GetArrayLength());
        if (kind == DatabaseKind.Sqlite)
        {
            Assert.True(File.Exists(Path.Combine(data.Path, "tributary.db")), "migrate should create data/tributary.db");
        }
    }

    /// <summary>Failed (non-zero), said <paramref name="expected"/> on stderr, and printed no stack trace.</summary>
    internal static void AssertFailedWith(ProcessResult result, string expected)
    {
        Assert.True(result.ExitCode != 0, $"Expected a failure:{Environment.NewLine}{result}");
        Assert.True(result.Stderr.Contains(expected, StringComparison.Ordinal),
            $"Expected stderr to contain \"{expected}\":{Environment.NewLine}{result}");
        var all = result.Stdout + result.Stderr;
        Assert.False(
            all.Contains("Unhandled exception", StringComparison.Ordinal) || all.Contains("   at ", StringComparison.Ordinal),
            $"Expected a message, not a stack trace:{Environment.NewLine}{result}");
    }
}
