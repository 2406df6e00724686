using System.Security.Cryptography;
using System.Text;

namespace Tributary.Data;

/// <summary>
/// Merge ids of synced rows, derived from (linked account, model, remote id): the same remote object
/// always gets the same id, so upserts are idempotent and references resolve in any arrival order.
/// Ids are RFC 9562 version 8 UUIDs (SHA-256 based); without the account id they are unguessable.
/// </summary>
public static class StoreIds
{
    public static Guid For(Guid linkedAccountId, string model, string remoteId)
    {
        var input = Encoding.UTF8.GetBytes($"{linkedAccountId:N}\n{model}\n{remoteId}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    public static Guid? ForOptional(Guid linkedAccountId, string model, string? remoteId) =>
        string.IsNullOrEmpty(remoteId) ? null : For(linkedAccountId, model, remoteId);
}
