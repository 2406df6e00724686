namespace Tributary.Data.Entities;

/// <summary>
/// A named, expiring claim shared by every replica: one sync of an account at a time, one refresh of
/// a credential at a time. A holder that dies simply lets it expire.
/// </summary>
public sealed class Lease
{
    /// <summary>What is claimed, e.g. <c>sync:{account}:filestorage</c> or <c>refresh:{account}</c>.</summary>
    public required string Name { get; set; }

    /// <summary>Who holds it (a per-claim random id).</summary>
    public required string Holder { get; set; }

    public DateTime ExpiresAt { get; set; }
}
