using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;
using Tributary.Server.Hosting;

namespace Tributary.Server.Conventions;

/// <summary>A keyset position: the sort key and id of a row, and which way to read from it.</summary>
internal readonly record struct CursorPosition(bool Backward, long SortTicks, Guid Id);

/// <summary>
/// Encodes keyset positions as opaque, tamper-evident tokens. The MAC covers the position and the
/// listing it belongs to, so a cursor edited by hand or reused on another listing or order is a 400,
/// never a silently wrong page. Every replica derives the same key from the master key.
/// </summary>
internal sealed class CursorCodec(MasterKey masterKey)
{
    private const byte Version = 1;
    private const int MacLength = 16;
    private readonly byte[] _key = masterKey.Derive("tributary/cursor/v1");

    public string Encode(string listing, CursorPosition position)
    {
        Span<byte> payload = stackalloc byte[1 + 1 + 8 + 16 + MacLength];
        payload[0] = Version;
        payload[1] = position.Backward ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(payload[2..], position.SortTicks);
        position.Id.TryWriteBytes(payload[10..26], bigEndian: true, out _);
        Sign(listing, payload[..26], payload[26..]);
        return WebEncoders.Base64UrlEncode(payload);
    }

    public bool TryDecode(string listing, string token, out CursorPosition position)
    {
        position = default;
        byte[] payload;
        try
        {
            payload = WebEncoders.Base64UrlDecode(token);
        }
        catch (FormatException)
        {
            return false;
        }
        if (payload.Length != 26 + MacLength || payload[0] != Version || payload[1] > 1)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[MacLength];
        Sign(listing, payload.AsSpan(0, 26), expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, payload.AsSpan(26)))
        {
            return false;
        }
        position = new CursorPosition(
            payload[1] == 1,
            BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(2)),
            new Guid(payload.AsSpan(10, 16), bigEndian: true));
        return true;
    }

    private void Sign(string listing, ReadOnlySpan<byte> payload, Span<byte> mac)
    {
        var listingBytes = System.Text.Encoding.UTF8.GetBytes(listing);
        var input = new byte[listingBytes.Length + 1 + payload.Length];
        listingBytes.CopyTo(input, 0);
        payload.CopyTo(input.AsSpan(listingBytes.Length + 1));
        Span<byte> full = stackalloc byte[32];
        HMACSHA256.HashData(_key, input, full);
        full[..MacLength].CopyTo(mac);
    }
}
