using Tributary.Data.Entities;

namespace Tributary.Data.Tenancy;

/// <summary>
/// Who the current request acts for. The DbContext's query filters read it, so tenant isolation is
/// enforced in one place: with nothing set, tenant-owned tables read as empty.
/// </summary>
public interface ITenantScope
{
    Guid? OrganizationId { get; }
    ApiEnvironment? Environment { get; }
    Guid? LinkedAccountId { get; }
}

/// <summary>The scope outside any request (operator CLI, start-up): sees no tenant rows.</summary>
public sealed class NoTenant : ITenantScope
{
    public static readonly NoTenant Instance = new();
    public Guid? OrganizationId => null;
    public ApiEnvironment? Environment => null;
    public Guid? LinkedAccountId => null;
}
