using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Server.AgentHandler.Logs;
using Tributary.Server.AgentHandler.RegisteredUsers;
using Tributary.Server.Auth;
using Tributary.Server.Errors;
using Tributary.Server.Organization;

namespace Tributary.Server.AgentHandler.Credentials;

internal static class CredentialsEndpoints
{
    public static RouteGroupBuilder MapCredentials(this RouteGroupBuilder v1)
    {
        v1.MapDelete("/credentials/registered-users/{registeredUserId:guid}/connectors/{slug}", DeleteAsync)
            .WithName("DeleteCredential").WithTags("Agent Handler")
            .WithSummary("Disconnect a registered user from a connector: their own credential, its linked account and synced data are deleted")
            .WithDescription("Only the user's INDIVIDUAL credential is deleted; SHARED and ORGANIZATION credentials belong to the company or organization.");
        return v1;
    }

    internal static async Task<Ok<JsonObject>> DeleteAsync(
        Guid registeredUserId, string slug, HttpContext http, TenantContext tenant, TributaryDbContext db, AuditTrail audit,
        Push.PushSubscriptionManager push, CancellationToken ct)
    {
        var user = await RegisteredUsersEndpoints.FindAsync(db, registeredUserId, ct);
        var accounts = await AgentCredentials.Owned(db, user, AuthScopes.Individual).Where(a => a.IntegrationSlug == slug).ToListAsync(ct);
        if (accounts.Count == 0)
        {
            throw ApiException.NotFound($"Registered user {registeredUserId} has no credential for \"{slug}\".");
        }
        // Best effort and time-boxed: a provider that fails never blocks the deletion.
        await push.StopAllAsync(accounts, ct);
        // Credentials, issues and synced rows go with the accounts (cascading foreign keys).
        db.LinkedAccounts.RemoveRange(accounts);
        audit.Record(db, user.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.CredentialDeleted,
            $"Deleted the {slug} credential of registered user {user.Id} (origin_user_id \"{user.OriginUserId}\").");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new JsonObject { ["deleted"] = accounts.Count });
    }
}
