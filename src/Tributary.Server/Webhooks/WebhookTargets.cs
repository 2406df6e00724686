using System.Net;
using System.Net.Sockets;

namespace Tributary.Server.Webhooks;

/// <summary>
/// Which webhook URLs Tributary will call. Unless <see cref="WebhookOptions.AllowPrivateTargets"/>
/// is on, only https URLs whose every resolved address is public: checked when an endpoint is
/// saved, and again at connect time on the address actually dialled (so DNS rebinding gains nothing).
/// </summary>
internal static class WebhookTargets
{
    /// <summary>Why <paramref name="url"/> cannot be a webhook endpoint, or null when it can.</summary>
    public static string? Problem(string url, bool allowPrivate)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "Enter an absolute http or https URL.";
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "Leave credentials out of the URL.";
        }
        if (allowPrivate)
        {
            return null;
        }
        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            return "Use an https URL (plain http is allowed only when the operator sets Webhooks:AllowPrivateTargets).";
        }
        if (uri.IsLoopback || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal) && !IsPublic(literal)))
        {
            return "The URL points at a private or loopback address; use a public address (or the operator sets Webhooks:AllowPrivateTargets).";
        }
        return null;
    }

    /// <summary>Public unicast: not loopback, private, link-local, CGNAT, unique-local, multicast or reserved.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address))
        {
            return false;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127
                || (b[0] == 100 && b[1] >= 64 && b[1] < 128)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] >= 16 && b[1] < 32)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))
                || b[0] >= 224);
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);
            return !(address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xfe) == 0xfc);
        }
        return false;
    }

    /// <summary>A connection that dials only addresses <see cref="IsPublic"/> allows (or any, when private targets are allowed).</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken ct)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endpoint.Host, ct);
        var allowed = allowPrivate ? addresses : addresses.Where(IsPublic).ToArray();
        if (allowed.Length == 0 || allowed.Length != addresses.Length)
        {
            throw new HttpRequestException($"{endpoint.Host} resolves to a private or loopback address, which webhook deliveries may not reach.");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
