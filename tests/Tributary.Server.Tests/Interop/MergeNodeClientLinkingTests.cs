using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data.Entities;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Interop;

/// <summary>
/// Merge's linking flow through the official Node SDK (tests/interop/merge-node-client/linking.mjs) against a real
/// server on a loopback port. Link itself is the end user's part, so the script runs twice: "create" issues link
/// tokens with <c>linkToken.create</c> and prints them; the test finishes Link server-side (as the end user's browser
/// would) and passes the public tokens to "use", which exchanges them and lists, inspects and deletes the account.
/// </summary>
public sealed class MergeNodeClientLinkingTests
{
    private const string OriginId = "sdk-end-user";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(120);

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task OfficialSdk_CreatesLinkTokens_ExchangesPublicTokens_ListsInspectsAndDeletesTheAccount(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await NodeClientFolder.PrepareAsync();
        await using var app = await TributaryApplication.StartAsync(kind, kestrel: true);
        var org = await app.CreateOrganizationAsync("Linking Interop Co");
        var baseUrl = app.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        var environment = new Dictionary<string, string?>
        {
            ["TRIBUTARY_BASE_URL"] = baseUrl,
            ["TRIBUTARY_API_KEY"] = org.ProductionKey,
            ["TRIBUTARY_TEST_API_KEY"] = org.TestKey,
            ["TRIBUTARY_ORIGIN_ID"] = OriginId,
        };

        // Phase 1: linkToken.create with every field.
        var (created, _) = await NodeScript.RunAsync(["linking.mjs", "create"], environment, ScriptTimeout);
        var linkToken = created.GetProperty("link_token").GetString()!;
        var testLinkToken = created.GetProperty("test_link_token").GetString()!;
        Assert.Equal("Google Drive", created.GetProperty("integration_name").GetString());
        Assert.Equal($"{baseUrl}/magic-link/{linkToken}", created.GetProperty("magic_link_url").GetString());
        Assert.Equal(400, created.GetProperty("invalid_language").GetProperty("status_code").GetInt32());

        // What the server made of the request.
        var sessions = await app.WithDbAsync((db, _) => db.LinkSessions.IgnoreQueryFilters().AsNoTracking()
            .Where(s => s.OrganizationId == org.Id).OrderBy(s => s.CreatedAt).ToListAsync(ct));
        Assert.Equal(2, sessions.Count); // the two refused requests stored nothing
        var session = Assert.Single(sessions, s => s.EndUserOriginId == OriginId);
        Assert.Equal(ApiEnvironment.Production, session.Environment);
        Assert.Equal("sdk.user@example.com", session.EndUserEmailAddress);
        Assert.Equal("SDK Interop Corp", session.EndUserOrganizationName);
        Assert.Equal("filestorage", session.Categories);
        Assert.Equal("google-drive", session.Integration);
        Assert.True(session.IsMagicLink);
        Assert.True(session.HideAdminMagicLink);
        Assert.Equal("de", session.Language);
        Assert.InRange(session.ExpiresAt - session.CreatedAt, TimeSpan.FromMinutes(59.9), TimeSpan.FromMinutes(60.1));
        var scopes = JsonDocument.Parse(session.ScopesJson!).RootElement.GetProperty("filestorage");
        Assert.Equal<string>(["File", "Folder"], scopes.EnumerateArray().Select(s => s.GetProperty("model_name").GetString()!).ToList());
        Assert.True(scopes[0].GetProperty("model_permissions").GetProperty("WRITE").GetProperty("is_enabled").GetBoolean());
        Assert.Equal("description", scopes[0].GetProperty("field_permissions").GetProperty("disabled_fields")[0].GetString());
        var testSession = Assert.Single(sessions, s => s.EndUserOriginId == $"{OriginId}-test");
        Assert.Equal(ApiEnvironment.Test, testSession.Environment);
        Assert.False(testSession.IsMagicLink);
        Assert.Equal("en", testSession.Language);

        // The end user finishes Link (server-side here): Google Drive for the production link token, the Sandbox
        // (always a test account) for the test one. The production account gets an issue.
        var publicToken = await app.CompleteLinkAsync(linkToken, "google-drive");
        var testPublicToken = await app.CompleteLinkAsync(testLinkToken);
        var accountId = await app.WithDbAsync((db, _) => db.LinkedAccounts.IgnoreQueryFilters()
            .Where(a => a.OrganizationId == org.Id && a.EndUserOriginId == OriginId).Select(a => a.Id).SingleAsync(ct));
        var issueId = await app.AddIssueAsync(org.Id, accountId, "Missing Permissions");

        // Phase 2: exchange, list, inspect, delete.
        environment["TRIBUTARY_PUBLIC_TOKEN"] = publicToken;
        environment["TRIBUTARY_TEST_PUBLIC_TOKEN"] = testPublicToken;
        environment["TRIBUTARY_ISSUE_ID"] = issueId.ToString();
        var (used, run) = await NodeScript.RunAsync(["linking.mjs", "use"], environment, ScriptTimeout);
        Assert.Equal(accountId, used.GetProperty("account_token").GetProperty("id").GetGuid());
        Assert.Equal(404, used.GetProperty("public_token_reused").GetProperty("status_code").GetInt32());
        var details = used.GetProperty("account_details");
        Assert.Equal("PRODUCTION", details.GetProperty("account_type").GetString());
        Assert.Equal(401, used.GetProperty("after_delete").GetProperty("status_code").GetInt32());
        var issue = Assert.Single(used.GetProperty("issues").EnumerateArray());
        Assert.Equal("Missing Permissions", issue.GetProperty("error_description").GetString());
        Assert.Equal("ONGOING", issue.GetProperty("status").GetString());
        Assert.Equal<string>(["detail one"], issue.GetProperty("error_details").EnumerateArray().Select(d => d.GetString()!).ToList());

        // The server's side: the production account is gone with its issue; the test account stays.
        var left = await app.WithDbAsync(async (db, _) => new
        {
            Accounts = await db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking().Where(a => a.OrganizationId == org.Id).ToListAsync(ct),
            Issues = await db.Issues.IgnoreQueryFilters().AsNoTracking().CountAsync(i => i.OrganizationId == org.Id, ct),
            Deleted = await db.AuditEvents.IgnoreQueryFilters().AsNoTracking()
                .CountAsync(e => e.OrganizationId == org.Id && e.EventType == "DELETED_LINKED_ACCOUNT", ct),
        });
        var remaining = Assert.Single(left.Accounts);
        Assert.Equal(used.GetProperty("test_account_id").GetGuid(), remaining.Id);
        Assert.Equal(ApiEnvironment.Test, remaining.Environment);
        Assert.Equal(0, left.Issues);
        Assert.True(left.Deleted == 1, $"Expected one DELETED_LINKED_ACCOUNT audit event.{Environment.NewLine}{run}");
    }
}
