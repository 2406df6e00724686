using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tributary.Server.Tests.Infrastructure;

/// <summary>A real WebDAV server: <c>rclone serve webdav</c> (Debian's rclone) over a temporary directory, on loopback.</summary>
internal sealed class RcloneWebDav : IAsyncDisposable
{
    private readonly Process _process;

    private RcloneWebDav(Process process, string root, int port, string username, string password)
    {
        _process = process;
        Root = root;
        Url = $"http://127.0.0.1:{port}/";
        Username = username;
        Password = password;
    }

    /// <summary>The served directory.</summary>
    public string Root { get; }

    /// <summary>e.g. http://127.0.0.1:41234/ (with the trailing slash).</summary>
    public string Url { get; }

    public string Username { get; }
    public string Password { get; }

    public static async Task<RcloneWebDav> StartAsync(string username = "pat", string password = "s3cret")
    {
        Assert.True(File.Exists("/usr/bin/rclone"), "The WebDAV tests need a real rclone server: apt-get install rclone (.ci/run installs it).");
        var root = Directory.CreateTempSubdirectory("tributary-dav-").FullName;
        var port = FreePort();
        var process = Process.Start(new ProcessStartInfo("/usr/bin/rclone",
            ["serve", "webdav", root, "--addr", $"127.0.0.1:{port}", "--user", username, "--pass", password, "--dir-cache-time", "0s", "--poll-interval", "0"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var server = new RcloneWebDav(process, root, port, username, password);
        try
        {
            await WaitForPortAsync(port);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 150; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"rclone did not listen on {port}.");
    }
}
