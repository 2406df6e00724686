using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Hosting;

namespace Tributary.Server.LinkedAccounts;

internal static class LinkedAccountsEndpoints
{
    private static readonly string[] Statuses = ["COMPLETE", "INCOMPLETE", "RELINK_NEEDED", "IDLE"];

    public static RouteGroupBuilder MapLinkedAccounts(this RouteGroupBuilder category)
    {
        category.MapGet("/account-details", DetailsAsync).RequireAccountToken()
            .WithName("RetrieveAccountDetails").WithTags("Linked accounts")
            .WithSummary("The linked account named by X-Account-Token")
            .ProducesError(StatusCodes.Status404NotFound, "The linked account was deleted.");
        category.MapGet("/linked-accounts", ListAsync).RequireApiKey()
            .WithName("ListLinkedAccounts").WithTags("Linked accounts")
            .WithSummary("The organization's linked accounts")
            .WithDescription("A test key lists only test accounts. A production key lists production accounts, or test accounts with is_test_account=true.")
            .WithQueryParameters(
                QueryParameter.Cursor,
                QueryParameter.PageSize,
                new("category", ParameterType.String, "Only accounts of this category.", TributaryServer.Categories),
                new("end_user_email_address", ParameterType.String, "Only accounts of the end user with this email address.") { MaxLength = 100 },
                new("end_user_organization_name", ParameterType.String, "Only accounts of the end user's organization with this name.") { MaxLength = 100 },
                new("end_user_origin_id", ParameterType.String, "Only accounts of the end user with this id in your system.") { MaxLength = 100 },
                new("end_user_origin_ids", ParameterType.StringList, "Only accounts of these end users (ids in your system; comma-separated or repeated)."),
                new("id", ParameterType.Uuid, "Only the account with this id."),
                new("ids", ParameterType.UuidList, "Only accounts with these ids (comma-separated or repeated)."),
                new("integration_name", ParameterType.String, "Only accounts of this integration (its name or slug, e.g. Google Drive or google-drive).") { MaxLength = 100 },
                new("is_test_account", ParameterType.Boolean, "true: list test accounts. false or absent: production accounts (a test key always lists test accounts)."),
                new("status", ParameterType.String, "Only accounts in this status.", Statuses));
        return category;
    }

    internal static async Task<Ok<AccountDetailsDto>> DetailsAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, CancellationToken ct)
    {
        var account = await db.LinkedAccounts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == tenant.LinkedAccountId, ct)
            ?? throw ApiException.NotFound();
        return TypedResults.Ok(AccountDetailsDto.From(account, catalog, WebhookListenerUrl(http, account)));
    }

    internal static async Task<Ok<Paginated<AccountDetailsAndActionsDto>>> ListAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(http.Request);
        var cursor = query.String("cursor");
        var pageSize = query.PageSize();
        var category = query.Choice("category", TributaryServer.Categories);
        var email = query.String("end_user_email_address", 100);
        var organizationName = query.String("end_user_organization_name", 100);
        var originId = query.String("end_user_origin_id", 100);
        var originIds = query.List("end_user_origin_ids");
        var id = query.Guid("id");
        var ids = query.Guids("ids");
        var integrationName = query.String("integration_name", 100);
        var isTestAccount = query.Bool("is_test_account");
        var status = query.Choice("status", Statuses);
        query.ThrowIfInvalid();

        IQueryable<LinkedAccount> accounts = db.LinkedAccounts.AsNoTracking();
        // Merge: is_test_account=true lists test accounts; false or absent lists production ones (its SDK sends "false"). A test key
        // sees only test accounts either way (the tenant filter).
        var wantTest = isTestAccount == true || tenant.Environment == ApiEnvironment.Test;
        var environment = wantTest ? ApiEnvironment.Test : ApiEnvironment.Production;
        accounts = accounts.Where(a => a.Environment == environment);
        if (category is not null)
        {
            accounts = accounts.Where(a => a.Category == category);
        }
        if (email is not null)
        {
            accounts = accounts.Where(a => a.EndUserEmailAddress == email);
        }
        if (organizationName is not null)
        {
            accounts = accounts.Where(a => a.EndUserOrganizationName == organizationName);
        }
        if (originId is not null)
        {
            accounts = accounts.Where(a => a.EndUserOriginId == originId);
        }
        if (originIds.Count > 0)
        {
            accounts = accounts.Where(a => originIds.Contains(a.EndUserOriginId));
        }
        if (id is { } single)
        {
            accounts = accounts.Where(a => a.Id == single);
        }
        if (ids.Count > 0)
        {
            accounts = accounts.Where(a => ids.Contains(a.Id));
        }
        if (integrationName is not null)
        {
            var slugs = catalog.All.Where(i => string.Equals(i.Name, integrationName, StringComparison.OrdinalIgnoreCase) || i.Slug == integrationName)
                .Select(i => i.Slug).ToList();
            accounts = accounts.Where(a => slugs.Contains(a.IntegrationSlug));
        }
        if (status is not null)
        {
            var wanted = Enum.GetValues<LinkedAccountStatus>().Single(s => LinkedAccountWire.Status(s) == status);
            accounts = accounts.Where(a => a.Status == wanted);
        }

        var page = await accounts.ToPageAsync(cursors, "linked-accounts", cursor, pageSize,
            a => a.CreatedAt, a => a.Id, descending: false,
            a => AccountDetailsAndActionsDto.From(a, catalog, WebhookListenerUrl(http, a)), ct);
        return TypedResults.Ok(page);
    }

    // Where providers will post their webhooks for this account (issue 6 serves it).
    private static string WebhookListenerUrl(HttpContext http, LinkedAccount account) =>
        $"{http.Request.Scheme}://{http.Request.Host}/api/webhooks/listen/{account.Id}";
}
