using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Hosting;

public sealed partial class LoggingTests
{
    // Everything Tributary and EF Core can say, at the most verbose level. ASP.NET Core's own
    // categories keep their shipped level (Warning): at Information its hosting diagnostics log
    // whole URLs, query strings included.
    private static readonly Dictionary<string, string?> Verbose = new()
    {
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Tributary"] = "Trace",
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Trace",
    };

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Logs_NeverContainApiKeysOrAccountTokens(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new CapturingLoggerProvider();
        await using var app = await TributaryApplication.StartAsync(kind, Verbose, services: s => s.AddSingleton<ILoggerProvider>(logs));
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        var unknownKey = "trb_live_" + new string('x', 43);
        var unknownToken = "trb_acct_" + new string('y', 43);
        var secrets = new List<string> { org.ProductionKey, org.TestKey, account.Token, unknownKey, unknownToken };

        using (var client = app.CreateApiClient(org.ProductionKey, account.Token))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/filestorage/v1/account-details", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/filestorage/v1/linked-accounts", ct)).StatusCode);
            // A secret where a cursor belongs is a 400 that does not echo it.
            Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/filestorage/v1/audit-trail?cursor={org.TestKey}", ct)).StatusCode);
        }
        using (var client = app.CreateApiClient(org.ProductionKey, unknownToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/filestorage/v1/account-details", ct)).StatusCode);
        }
        using (var client = app.CreateApiClient(unknownKey, account.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/filestorage/v1/audit-trail", ct)).StatusCode);
        }
        using (var client = app.CreateApiClient(apiKey: null))
        {
            // Credentials in the query string are ignored (and must not be logged).
            var query = $"/api/filestorage/v1/linked-accounts?api_key={org.ProductionKey}&account_token={account.Token}";
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(query, ct)).StatusCode);
        }
        using (var client = app.CreateApiClient(org.TestKey))
        {
            Assert.Equal(HttpStatusCode.Forbidden,
                (await client.PostAsJsonAsync("/api/filestorage/v1/generate-key", new { name = "nope" }, ct)).StatusCode);
            var rotated = await client.PostAsJsonAsync("/api/filestorage/v1/regenerate-key", new { name = "rotated" }, ct);
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
            secrets.Add((await rotated.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("key").GetString()!);
        }

        var entries = logs.Entries.ToList();
        Assert.Contains(entries, e => e.Category.StartsWith("Microsoft.EntityFrameworkCore.Database.Command", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Category == "Tributary.Requests");
        foreach (var entry in entries)
        {
            foreach (var text in entry.AllText())
            {
                foreach (var secret in secrets)
                {
                    Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
                }
                // Nor any other whole secret (previews like "trb_live_abcd…" are fine).
                Assert.False(SecretLike().IsMatch(text), $"[{entry.Category}] logged something secret-like: {text}");
            }
        }
    }

    [Fact]
    public async Task EveryResponse_CarriesXRequestId_AndTheRequestsLogLinesCarryIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new CapturingLoggerProvider();
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, Verbose, services: s => s.AddSingleton<ILoggerProvider>(logs));
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateApiClient(org.ProductionKey);

        var ok = await client.GetAsync("/api/filestorage/v1/linked-accounts", ct);
        using var anonymous = app.CreateClient();
        var unauthorized = await anonymous.GetAsync("/api/filestorage/v1/linked-accounts", ct);
        var notFound = await anonymous.GetAsync("/api/nowhere", ct);
        var health = await anonymous.GetAsync("/health/live", ct);

        var ids = new[] { ok, unauthorized, notFound, health }.Select(r => Assert.Single(r.Headers.GetValues("X-Request-Id"))).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrWhiteSpace(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);

        // The access-log line of each request, and every other line logged while serving it (EF's
        // commands here), carry its request id and a W3C trace id in their scopes.
        var requestLog = logs.Entries.Where(e => e.Category == "Tributary.Requests").ToList();
        var line = Assert.Single(requestLog, e => e.Scope("RequestId") == ids[0]);
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal("GET", line.State.Single(s => s.Key == "Method").Value);
        Assert.Equal("/api/filestorage/v1/linked-accounts", line.State.Single(s => s.Key == "Path").Value);
        Assert.Equal("200", line.State.Single(s => s.Key == "StatusCode").Value);
        Assert.Matches("^[0-9a-f]{32}$", line.Scope("TraceId"));
        Assert.Contains(logs.Entries, e => e.Category.StartsWith("Microsoft.EntityFrameworkCore.Database.Command", StringComparison.Ordinal)
            && e.Scope("RequestId") == ids[0] && e.Scope("TraceId") == line.Scope("TraceId"));
        Assert.Contains(requestLog, e => e.Scope("RequestId") == ids[1] && e.State.Any(s => s.Key == "StatusCode" && s.Value == "401"));
        Assert.Contains(requestLog, e => e.Scope("RequestId") == ids[3] && e.Level == LogLevel.Debug);
    }

    [Fact]
    public async Task UnexpectedError_Is500QuotingTheRequestId_AndItsLoggedExceptionHoldsNoSecret()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new CapturingLoggerProvider();
        const string databasePassword = "db-password-never-logged";
        var settings = new Dictionary<string, string?>(Verbose)
        {
            // Nothing listens there: authentication's lookup fails, which nobody handles on purpose.
            ["Database:Provider"] = "Postgres",
            ["Database:ConnectionString"] = $"Host=127.0.0.1;Port={ClosedPort()};Username=tributary;Password={databasePassword};Database=tributary;Timeout=3",
            // This test is about the HTTP side only (ServerStartTests covers jobs and migrations waiting for the database).
            ["Sync:RunJobs"] = "false",
            ["Tributary:MigrateOnStart"] = "false",
        };
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, settings, services: s => s.AddSingleton<ILoggerProvider>(logs));
        var apiKey = "trb_live_" + new string('k', 43);
        using var client = app.CreateApiClient(apiKey, "trb_acct_" + new string('t', 43));

        var response = await client.GetAsync("/api/filestorage/v1/account-details", ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var requestId = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("detail").GetString();
        Assert.Contains($"quote request id {requestId}", detail, StringComparison.Ordinal);

        var error = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error && e.Category.StartsWith("Tributary", StringComparison.Ordinal));
        Assert.Equal(requestId, error.Scope("RequestId"));
        Assert.NotNull(error.Exception);
        foreach (var text in logs.Entries.SelectMany(e => e.AllText()))
        {
            Assert.DoesNotContain(databasePassword, text, StringComparison.Ordinal);
            Assert.False(SecretLike().IsMatch(text), $"logged something secret-like: {text}");
        }
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task ShippedSettings_KeepSqlAndFrameworkRequestLinesOutOfTheLog_AndNeverLogParameterValues()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        Assert.False(loggers.CreateLogger("Microsoft.EntityFrameworkCore.Database.Command").IsEnabled(LogLevel.Information));
        Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Tributary.Requests").IsEnabled(LogLevel.Information));

        await app.WithDbAsync<bool>(async (db, _) =>
        {
            var core = db.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>();
            Assert.False(core?.IsSensitiveDataLoggingEnabled ?? false);
            Assert.False(core?.DetailedErrorsEnabled ?? false);
            await Task.CompletedTask;
            return true;
        });
    }

    [GeneratedRegex("trb_(live|test|acct)_[A-Za-z0-9_-]{8,}")]
    private static partial Regex SecretLike();
}
