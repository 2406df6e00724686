using System.Net;
using System.Security.Cryptography;
using Tributary.Server.Errors;

namespace Tributary.Server.FileStorage.Writes;

/// <summary>
/// The upload body as the connector reads it: passes bytes through in whatever chunks the connector
/// asks for, counts them against the upload limit (a 413 past it, even where the server does not
/// enforce body limits itself) and hashes them, so the checksum a client sent can be verified
/// without holding the file.
/// </summary>
internal sealed class UploadStream : Stream
{
    private readonly Stream _inner;
    private readonly long _limit;
    private readonly IncrementalHash? _hash;

    public UploadStream(Stream inner, long limit, string? checksumType)
    {
        _inner = inner;
        _limit = limit;
        HashType = checksumType;
        _hash = HashFor(checksumType);
    }

    /// <summary>The checksum types that can be verified while streaming.</summary>
    public static bool CanVerify(string type) => HashFor(type) is { } hash && Release(hash);

    public string? HashType { get; }
    public long BytesRead { get; private set; }

    /// <summary>Whether reading the body itself failed (a truncated or malformed request), as opposed to the connector.</summary>
    public bool ReadFailed { get; private set; }

    /// <summary>Lower-case hex of the content's hash, once the connector has read it all.</summary>
    public string? Hash => _hash is null ? null : Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = _inner.Read(buffer);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            ReadFailed = true;
            throw;
        }
        return Count(buffer[..read]);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await _inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            ReadFailed = true;
            throw;
        }
        return Count(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash?.Dispose();
        }
        base.Dispose(disposing);
    }

    private int Count(ReadOnlySpan<byte> read)
    {
        BytesRead += read.Length;
        if (BytesRead > _limit)
        {
            throw ApiException.Detail(HttpStatusCode.RequestEntityTooLarge,
                $"The upload is too large: send at most {_limit} bytes (Tributary:MaxUploadBytes).");
        }
        _hash?.AppendData(read);
        return read.Length;
    }

    private static IncrementalHash? HashFor(string? type) => type?.ToUpperInvariant() switch
    {
        "SHA256" => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
#pragma warning disable CA5350, CA5351 // Verifying a checksum the client chose, not protecting anything with it.
        "SHA1" => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
        "MD5" => IncrementalHash.CreateHash(HashAlgorithmName.MD5),
#pragma warning restore CA5350, CA5351
        _ => null,
    };

    private static bool Release(IncrementalHash hash)
    {
        hash.Dispose();
        return true;
    }
}
