using System.Text;

namespace Tributary.Server.FileStorage.Writes;

/// <summary>An RFC 2397 <c>data:</c> URI: <c>data:[media type][;base64],data</c>.</summary>
internal static class DataUri
{
    public static bool IsDataUri(string url) => url.StartsWith("data:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Decodes the content and its media type (without parameters), or explains why it cannot.</summary>
    public static bool TryDecode(string url, out byte[] content, out string? mediaType, out string? error)
    {
        content = [];
        mediaType = null;
        error = null;
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (!IsDataUri(url) || comma < 0)
        {
            error = "A data: URI has the form data:[<media type>][;base64],<data>.";
            return false;
        }
        var meta = url[5..comma];
        var data = url[(comma + 1)..];
        var parameters = meta.Split(';', StringSplitOptions.TrimEntries);
        var base64 = parameters.Length > 1 && string.Equals(parameters[^1], "base64", StringComparison.OrdinalIgnoreCase);
        mediaType = parameters[0].Length > 0 ? parameters[0].ToLowerInvariant() : null;
        if (base64)
        {
            try
            {
                content = Convert.FromBase64String(Uri.UnescapeDataString(data));
                return true;
            }
            catch (FormatException)
            {
                error = "The data: URI says ;base64 but its data is not valid base64.";
                return false;
            }
        }
        return TryPercentDecode(data, out content, out error);
    }

    private static bool TryPercentDecode(string data, out byte[] content, out string? error)
    {
        var bytes = new List<byte>(data.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == '%')
            {
                if (i + 2 >= data.Length || !Uri.IsHexDigit(data[i + 1]) || !Uri.IsHexDigit(data[i + 2]))
                {
                    content = [];
                    error = $"The data: URI has a malformed percent escape at character {i}.";
                    return false;
                }
                bytes.Add((byte)Convert.ToInt32(data.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                if (Rune.DecodeFromUtf16(data.AsSpan(i), out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
                {
                    rune = Rune.ReplacementChar;
                    consumed = 1;
                }
                var written = rune.EncodeToUtf8(utf8);
                for (var b = 0; b < written; b++)
                {
                    bytes.Add(utf8[b]);
                }
                i += consumed - 1;
            }
        }
        content = [.. bytes];
        error = null;
        return true;
    }
}
