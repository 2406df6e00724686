using Tributary.Data.Entities;
using Tributary.Data.Tenancy;

namespace Tributary.Server.Auth;

/// <summary>
/// The request's tenant, filled by <see cref="ApiAuthenticationMiddleware"/> and read by the
/// DbContext's query filters. Handlers take it as a parameter when they need the ids.
/// </summary>
internal sealed class TenantContext : ITenantScope
{
    public Guid? OrganizationId { get; private set; }
    public ApiEnvironment? Environment { get; private set; }
    public Guid? LinkedAccountId { get; private set; }
    public Guid? ApiKeyId { get; private set; }
    public string? ApiKeyName { get; private set; }

    public Guid RequiredOrganizationId => OrganizationId ?? throw new InvalidOperationException("No organization: the endpoint lacks RequireApiKey().");
    public Guid RequiredLinkedAccountId => LinkedAccountId ?? throw new InvalidOperationException("No linked account: the endpoint lacks RequireAccountToken().");

    public void SetApiKey(CachedApiKey key)
    {
        OrganizationId = key.OrganizationId;
        Environment = key.Environment;
        ApiKeyId = key.Id;
        ApiKeyName = key.Name;
    }

    public void SetLinkedAccount(Guid linkedAccountId) => LinkedAccountId = linkedAccountId;
}
