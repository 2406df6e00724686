using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Linking;

namespace Tributary.Server.Tests.Infrastructure;

/// <summary>Drives the linking flow through the API and the server-side flow, without a browser.</summary>
internal static class LinkingTestExtensions
{
    public static async Task<string> CreateLinkTokenAsync(this HttpClient api, string originId = "end-user-1", string? integration = "sandbox",
        string category = "filestorage", object? extra = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["end_user_email_address"] = "pat@example.com",
            ["end_user_organization_name"] = "Example Corp",
            ["end_user_origin_id"] = originId,
            ["categories"] = new[] { category },
            ["integration"] = integration,
        };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                body[property.Name] = property.Value;
            }
        }
        var response = await api.PostAsJsonAsync("/api/filestorage/v1/link-token", body);
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return json.GetProperty("link_token").GetString()!;
    }

    /// <summary>Finishes Link for <paramref name="linkToken"/> as the end user would, returning the public token.</summary>
    public static async Task<string> CompleteLinkAsync(this TributaryApplication app, string linkToken, string integration = "sandbox", object? credential = null)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var flow = scope.ServiceProvider.GetRequiredService<LinkFlow>();
        var catalog = scope.ServiceProvider.GetRequiredService<IntegrationCatalog>();
        var (state, session) = await flow.FindAsync(linkToken, CancellationToken.None);
        Assert.Equal(LinkSessionState.Open, state);
        return await flow.CompleteAsync(session!, catalog.Find(integration)!,
            JsonSerializer.SerializeToElement(credential ?? new { access_token = "provider-access-token-SECRET", refresh_token = "provider-refresh-token-SECRET" }),
            CancellationToken.None);
    }

    public static async Task<(Guid Id, string AccountToken)> ExchangeAsync(this HttpClient api, string publicToken)
    {
        var response = await api.GetAsync($"/api/filestorage/v1/account-token/{Uri.EscapeDataString(publicToken)}");
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (json.GetProperty("id").GetGuid(), json.GetProperty("account_token").GetString()!);
    }

    public static Task<Guid> AddIssueAsync(this TributaryApplication app, Guid organizationId, Guid linkedAccountId,
        string description = "Missing Permissions", bool muted = false, bool resolved = false) => app.WithDbAsync(async (db, sp) =>
    {
        var now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
        var account = await db.LinkedAccounts.IgnoreQueryFilters().SingleAsync(a => a.Id == linkedAccountId);
        var issue = new Issue
        {
            Id = Guid.CreateVersion7(now),
            OrganizationId = organizationId,
            LinkedAccountId = linkedAccountId,
            Environment = account.Environment,
            Status = resolved ? IssueStatus.Resolved : IssueStatus.Ongoing,
            ErrorDescription = description,
            ErrorDetailsJson = "[\"detail one\"]",
            FirstIncidentTime = now.UtcDateTime,
            LastIncidentTime = now.UtcDateTime,
            IsMuted = muted,
        };
        db.Issues.Add(issue);
        await db.SaveChangesAsync();
        return issue.Id;
    });

    /// <summary>Link token → Link → public token → account token, the whole happy path.</summary>
    public static async Task<(Guid Id, string AccountToken)> LinkAccountAsync(this TributaryApplication app, HttpClient api, string originId = "end-user-1")
    {
        var linkToken = await api.CreateLinkTokenAsync(originId);
        var publicToken = await app.CompleteLinkAsync(linkToken);
        return await api.ExchangeAsync(publicToken);
    }
}
