using System.Security.Cryptography;
using System.Text;

namespace Tributary.Server.Webhooks;

/// <summary>
/// Merge's <c>X-Merge-Webhook-Signature</c>: HMAC-SHA256 over the raw body bytes, keyed with the
/// UTF-8 bytes of the organization's signature key, base64url-encoded (Python's
/// <c>base64.urlsafe_b64encode(hmac.new(key, body, sha256).digest())</c>, padded unless configured off).
/// </summary>
internal static class WebhookSignature
{
    public const string Header = "X-Merge-Webhook-Signature";
    public const string PreviousHeader = "X-Tributary-Webhook-Signature-Previous";

    public static string Compute(string key, ReadOnlySpan<byte> body, bool padded)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), body);
        var encoded = Convert.ToBase64String(mac).Replace('+', '-').Replace('/', '_');
        return padded ? encoded : encoded.TrimEnd('=');
    }

    /// <summary>What a receiver does: recompute and compare in constant time, padding ignored on both sides.</summary>
    public static bool Verify(string key, ReadOnlySpan<byte> body, string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Compute(key, body, padded: false));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(header.TrimEnd('=')));
    }
}
