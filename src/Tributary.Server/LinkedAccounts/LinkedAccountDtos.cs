using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;

namespace Tributary.Server.LinkedAccounts;

internal static class LinkedAccountWire
{
    public static string Status(LinkedAccountStatus status) => status switch
    {
        LinkedAccountStatus.Complete => "COMPLETE",
        LinkedAccountStatus.Incomplete => "INCOMPLETE",
        LinkedAccountStatus.RelinkNeeded => "RELINK_NEEDED",
        LinkedAccountStatus.Idle => "IDLE",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static string AccountType(ApiEnvironment environment) =>
        environment == ApiEnvironment.Test ? "TEST" : "PRODUCTION";
}

/// <summary>Merge's <c>AccountDetails</c>: here <c>integration</c> is the display name, not an object.</summary>
internal sealed record AccountDetailsDto(
    Guid Id, string Integration, string IntegrationSlug, string Category, string EndUserOriginId,
    string EndUserOrganizationName, string EndUserEmailAddress, string Status, string WebhookListenerUrl,
    bool? IsDuplicate, string AccountType, DateTime? CompletedAt)
{
    public static AccountDetailsDto From(LinkedAccount a, IntegrationCatalog catalog, string webhookListenerUrl) => new(
        a.Id, catalog.Find(a.IntegrationSlug)?.Name ?? a.IntegrationSlug, a.IntegrationSlug, a.Category, a.EndUserOriginId,
        a.EndUserOrganizationName, a.EndUserEmailAddress, LinkedAccountWire.Status(a.Status), webhookListenerUrl,
        a.Environment == ApiEnvironment.Test ? null : false, LinkedAccountWire.AccountType(a.Environment), a.CompletedAt);
}

/// <summary>The <c>integration</c> object of Merge's <c>AccountDetailsAndActions</c>.</summary>
internal sealed record AccountDetailsAndActionsIntegrationDto(
    string Name, IReadOnlyList<string> Categories, string? Image, string? SquareImage, string Color, string Slug,
    bool PassthroughAvailable, IReadOnlyList<object> AvailableModelOperations);

/// <summary>Merge's <c>AccountDetailsAndActions</c>, an item of <c>GET /linked-accounts</c>.</summary>
internal sealed record AccountDetailsAndActionsDto(
    Guid Id, string Category, string Status, string? StatusDetail, string EndUserOriginId,
    string EndUserOrganizationName, string EndUserEmailAddress, string? Subdomain, string WebhookListenerUrl,
    bool? IsDuplicate, AccountDetailsAndActionsIntegrationDto? Integration, string AccountType, DateTime? CompletedAt,
    IReadOnlyDictionary<string, object> IntegrationSpecificFields)
{
    public static AccountDetailsAndActionsDto From(LinkedAccount a, IntegrationCatalog catalog, string webhookListenerUrl)
    {
        var integration = catalog.Find(a.IntegrationSlug);
        return new(
            a.Id, a.Category, LinkedAccountWire.Status(a.Status), a.StatusDetail, a.EndUserOriginId,
            a.EndUserOrganizationName, a.EndUserEmailAddress, null, webhookListenerUrl,
            a.Environment == ApiEnvironment.Test ? null : false,
            integration is null ? null : new AccountDetailsAndActionsIntegrationDto(
                integration.Name, integration.Categories, null, null, integration.Color, integration.Slug,
                PassthroughAvailable: false, AvailableModelOperations: []),
            LinkedAccountWire.AccountType(a.Environment), a.CompletedAt, new Dictionary<string, object>());
    }
}
