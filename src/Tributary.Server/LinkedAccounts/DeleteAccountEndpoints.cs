using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Server.Auth;
using Tributary.Server.Organization;

namespace Tributary.Server.LinkedAccounts;

internal static class DeleteAccountEndpoints
{
    public static RouteGroupBuilder MapDeleteAccount(this RouteGroupBuilder category)
    {
        category.MapPost("/delete-account", DeleteAsync).RequireAccountToken()
            .WithName("DeleteAccount").WithTags("Linked accounts")
            .WithSummary("Delete the linked account, its credential and all its synced data")
            .WithDescription("No body. Afterwards the account token no longer authenticates (401), so repeating the call changes nothing.");
        return category;
    }

    internal static async Task<IResult> DeleteAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, AuditTrail audit, Events.IAccountEvents events,
        Push.PushSubscriptionManager push, CancellationToken ct)
    {
        var account = await db.LinkedAccounts.SingleOrDefaultAsync(a => a.Id == tenant.RequiredLinkedAccountId, ct);
        if (account is not null)
        {
            // Best effort and time-boxed: a provider that fails never blocks the deletion.
            await push.StopAllAsync([account], ct);
            // Credentials, issues and synced rows go with the account (cascading foreign keys).
            // LinkedAccount.deleted is built now, while the account still exists, and commits with the delete.
            await events.DeletedAsync(db, account, ct);
            db.LinkedAccounts.Remove(account);
            audit.Record(db, account.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AuditEventTypes.DeletedLinkedAccount,
                $"Deleted linked account {account.Id} ({account.IntegrationSlug}, end user \"{account.EndUserOriginId}\") with its credential and synced data.");
            await db.SaveChangesAsync(ct);
        }
        return Results.Ok();
    }
}
