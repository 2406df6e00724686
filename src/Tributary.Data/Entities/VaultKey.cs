namespace Tributary.Data.Entities;

/// <summary>
/// A data key of the credential vault's key ring, stored wrapped (AES-256-GCM) by a key derived from
/// the master key, which never enters the database. Rotation adds a new primary key and re-encrypts.
/// </summary>
public sealed class VaultKey
{
    public Guid Id { get; set; }
    public required byte[] WrappedKey { get; set; }
    public bool IsPrimary { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? RetiredAt { get; set; }
}
