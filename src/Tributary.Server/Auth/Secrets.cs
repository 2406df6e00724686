using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Tributary.Server.Auth;

/// <summary>
/// Bearer secrets (API keys, account tokens, later link and public tokens): 256 random bits with a
/// readable prefix, shown once, stored as SHA-256. A fast hash is enough because the input is
/// high-entropy; a slow password hash would only slow every request down.
/// </summary>
internal static class Secrets
{
    public const string ProductionKeyPrefix = "trb_live_";
    public const string TestKeyPrefix = "trb_test_";
    public const string AccountTokenPrefix = "trb_acct_";
    public const string LinkTokenPrefix = "trb_link_";
    public const string PublicTokenPrefix = "trb_pub_";
    public const string AuthorizationCodePrefix = "trb_code_";

    public static string Create(string prefix) =>
        prefix + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>What may be shown of a secret after creation: its prefix and first characters.</summary>
    public static string Preview(string secret) => secret[..Math.Min(secret.Length, 13)] + "…";
}
