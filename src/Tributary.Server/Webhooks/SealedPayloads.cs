using Tributary.Data;
using Tributary.Server.Vault;

namespace Tributary.Server.Webhooks;

/// <summary>
/// Delivery bodies that carry a secret (the account token of a magic-link <c>LinkedAccount.linked</c>)
/// are stored sealed by the vault, bound to their delivery id, and opened only to be sent.
/// </summary>
internal sealed class SealedPayloads(CredentialVault vault)
{
    private const string Prefix = "vault:";

    public static bool IsSealed(string payload) => payload.StartsWith(Prefix, StringComparison.Ordinal);

    public async Task<string> SealAsync(TributaryDbContext db, Guid deliveryId, string body, CancellationToken ct) =>
        Prefix + Convert.ToBase64String((await vault.SealStringAsync(db, body, Purpose(deliveryId), ct)).Ciphertext);

    public async Task<string> OpenAsync(TributaryDbContext db, Guid deliveryId, string payload, CancellationToken ct) =>
        IsSealed(payload) ? await vault.OpenStringAsync(db, Convert.FromBase64String(payload[Prefix.Length..]), Purpose(deliveryId), ct) : payload;

    private static string Purpose(Guid deliveryId) => $"webhook-delivery:{deliveryId:N}";
}
