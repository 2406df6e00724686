using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Tributary.Server.Errors;
using Tributary.Server.Hosting;

namespace Tributary.Server.FileStorage.Files;

/// <summary>What a signed download link grants: one file of one linked account, in one format, until it expires.</summary>
internal sealed record DownloadLink(Guid LinkedAccountId, Guid FileId, string? MimeType, DateTimeOffset ExpiresAt);

/// <summary>
/// Short-lived signed URLs on Tributary itself for <c>download/request-meta</c>: they serve a file's
/// bytes with no API key or account token, so they can be handed to a browser, and carry no provider
/// secret. The token is the grant plus an HMAC-SHA256 over it with a key derived from the master key,
/// so every replica verifies every other's links and a changed byte (another file, account, format or
/// expiry) is refused.
/// </summary>
internal sealed class DownloadLinks(MasterKey masterKey, TimeProvider time)
{
    public const string RoutePrefix = "/api/filestorage/v1/signed-downloads";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private const byte Version = 1;
    private const int FixedLength = 1 + 16 + 16 + 8;
    private const int MacLength = 32;
    private const int MaxMimeTypeBytes = 255;
    private readonly byte[] _key = masterKey.Derive("tributary/download-link/v1");

    /// <summary>The absolute URL of a link for <paramref name="fileId"/>, valid for <see cref="Lifetime"/> from now.</summary>
    public string CreateUrl(string baseUrl, Guid linkedAccountId, Guid fileId, string? mimeType) =>
        $"{baseUrl}{RoutePrefix}/{CreateToken(linkedAccountId, fileId, mimeType)}";

    public string CreateToken(Guid linkedAccountId, Guid fileId, string? mimeType)
    {
        var mime = Encoding.UTF8.GetBytes(mimeType ?? "");
        if (mime.Length > MaxMimeTypeBytes)
        {
            throw new ArgumentException("The MIME type is too long for a download link.", nameof(mimeType));
        }
        var token = new byte[FixedLength + mime.Length + MacLength];
        token[0] = Version;
        fileId.TryWriteBytes(token.AsSpan(1, 16), bigEndian: true, out _);
        linkedAccountId.TryWriteBytes(token.AsSpan(17, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(token.AsSpan(33, 8), (time.GetUtcNow() + Lifetime).ToUnixTimeSeconds());
        mime.CopyTo(token.AsSpan(FixedLength));
        var payloadLength = FixedLength + mime.Length;
        HMACSHA256.HashData(_key, token.AsSpan(0, payloadLength), token.AsSpan(payloadLength));
        return WebEncoders.Base64UrlEncode(token);
    }

    /// <summary>The grant of a valid, unexpired token; a 403 for anything else.</summary>
    public DownloadLink Read(string token)
    {
        byte[] bytes;
        try
        {
            bytes = WebEncoders.Base64UrlDecode(token);
        }
        catch (FormatException)
        {
            throw Invalid();
        }
        if (bytes.Length < FixedLength + MacLength || bytes.Length > FixedLength + MaxMimeTypeBytes + MacLength || bytes[0] != Version)
        {
            throw Invalid();
        }
        var payloadLength = bytes.Length - MacLength;
        Span<byte> expected = stackalloc byte[MacLength];
        HMACSHA256.HashData(_key, bytes.AsSpan(0, payloadLength), expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(payloadLength)))
        {
            throw Invalid();
        }
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(33, 8)));
        if (time.GetUtcNow() >= expiresAt)
        {
            throw ApiException.Forbidden(
                $"This download link expired at {expiresAt:yyyy-MM-ddTHH:mm:ssZ}. Ask for a new one with GET /files/{{id}}/download/request-meta.");
        }
        var mime = Encoding.UTF8.GetString(bytes.AsSpan(FixedLength, payloadLength - FixedLength));
        return new DownloadLink(
            new Guid(bytes.AsSpan(17, 16), bigEndian: true),
            new Guid(bytes.AsSpan(1, 16), bigEndian: true),
            mime.Length == 0 ? null : mime,
            expiresAt);
    }

    private static ApiException Invalid() =>
        ApiException.Detail(HttpStatusCode.Forbidden, "This download link is invalid: it was changed or is not a Tributary download link.");
}
