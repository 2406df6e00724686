using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Server.Tests.Connectors.Compliance;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.WebDav;

/// <summary>
/// The WebDAV compliance world: a real <c>rclone serve webdav</c>, changed through its directory, behind a
/// loopback proxy that forwards every request unchanged and can inject 429/503 answers, refuse the
/// credential (a changed password) and pause a download mid-file. No spec validator: the server is real.
/// </summary>
internal sealed class WebDavWorld : IProviderWorld, IFakeDialect
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _pauses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _pauseAfter = new(StringComparer.Ordinal);
    private readonly HttpClient _forward = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private RcloneWebDav _dav = null!;
    private ProviderFakeHost _proxy = null!;
    private volatile bool _refused;

    private WebDavWorld()
    {
    }

    /// <summary>The URL an account links with: the proxy in front of rclone.</summary>
    public string Url => _proxy.Origin + "/";

    public string Username => _dav.Username;
    public string Password => _dav.Password;

    public static async Task<WebDavWorld> StartAsync()
    {
        var world = new WebDavWorld();
        world._dav = await RcloneWebDav.StartAsync();
        world._proxy = await ProviderFakeHost.StartAsync(world, validator: null, app => app.Run(world.ForwardAsync));
        return world;
    }

    /// <summary>The standard seed as real files and directories.</summary>
    public WebDavWorld SeedStandard(int files = 25)
    {
        var projects = Directory.CreateDirectory(Path.Combine(_dav.Root, "Projects")).FullName;
        var alpha = Directory.CreateDirectory(Path.Combine(projects, "Alpha")).FullName;
        var archive = Directory.CreateDirectory(Path.Combine(_dav.Root, "Archive")).FullName;
        string[] parents = [_dav.Root, projects, alpha, archive];
        for (var i = 0; i < files; i++)
        {
            File.WriteAllText(Path.Combine(parents[i % parents.Length], $"file-{i:D3}.txt"), $"content of file {i}\n");
        }
        return this;
    }

    public IReadOnlyCollection<string> FileIds => [.. Directory.EnumerateFiles(_dav.Root, "*", SearchOption.AllDirectories).Select(Id)];
    public IReadOnlyCollection<string> FolderIds => [.. Directory.EnumerateDirectories(_dav.Root, "*", SearchOption.AllDirectories).Select(Id)];

    public string FolderId(string name) => FolderIds.Single(id => id.EndsWith("/" + name, StringComparison.Ordinal));

    public async Task<string> AddFileAsync(string name, byte[] content, string? parentId)
    {
        var path = Path.Combine(Local(parentId ?? "/"), name);
        await File.WriteAllBytesAsync(path, content);
        return Id(path);
    }

    public Task RenameAsync(string id, string newName)
    {
        File.Move(Local(id), Path.Combine(Path.GetDirectoryName(Local(id))!, newName));
        return Task.CompletedTask;
    }

    public Task MoveAsync(string id, string? newParentId)
    {
        File.Move(Local(id), Path.Combine(Local(newParentId ?? "/"), Path.GetFileName(Local(id))));
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string id)
    {
        if (Directory.Exists(Local(id)))
        {
            Directory.Delete(Local(id), recursive: true);
        }
        else
        {
            File.Delete(Local(id));
        }
        return Task.CompletedTask;
    }

    public Task<byte[]> ReadAsync(string id) => File.ReadAllBytesAsync(Local(id));

    public async Task<(string Id, Action Resume)> AddPausingFileAsync(string name, long length, long pauseAfter)
    {
        var path = Path.Combine(_dav.Root, name);
        await using (var file = File.Create(path))
        {
            var buffer = new byte[64 * 1024];
            for (long position = 0; position < length; position += buffer.Length)
            {
                var count = (int)Math.Min(buffer.Length, length - position);
                for (var i = 0; i < count; i++)
                {
                    buffer[i] = FakeContent.GeneratedByte(7, position + i);
                }
                await file.WriteAsync(buffer.AsMemory(0, count));
            }
        }
        var id = Id(path);
        var gate = _pauses.GetOrAdd("/" + Uri.EscapeDataString(name), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _pauseAfter["/" + Uri.EscapeDataString(name)] = pauseAfter;
        return (id, () => gate.TrySetResult());
    }

    public byte ExpectedByte(string id, long position) => FakeContent.GeneratedByte(7, position);

    /// <summary>WebDAV has no refresh: the password changed, and every request is refused from now on.</summary>
    public bool ExpireAccessTokens()
    {
        _refused = true;
        return false;
    }

    public bool RevokeAccess()
    {
        _refused = true;
        return true;
    }

    public int RefreshRequests => 0;

    public void InjectRateLimit(int times, TimeSpan wait) => _proxy.Inject(FaultKind.RateLimit, times, wait);

    public void InjectServerErrors(int times) => _proxy.Inject(FaultKind.ServerError, times);

    public IReadOnlyList<FakeRequest> Requests => [.. _proxy.Requests];

    public void AssertConformant() => _proxy.AssertConformant();

    public Task RenderRateLimitAsync(HttpContext context, TimeSpan? wait)
    {
        context.Response.StatusCode = 429;
        if (wait is { } w)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(w.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return Task.CompletedTask;
    }

    public Task RenderServerErrorAsync(HttpContext context)
    {
        context.Response.StatusCode = 503;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gate in _pauses.Values)
        {
            gate.TrySetResult();
        }
        await _proxy.DisposeAsync();
        await _dav.DisposeAsync();
        _forward.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        if (_refused)
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"rclone\"";
            return;
        }
        var incoming = context.Request;
        using var request = new HttpRequestMessage(new HttpMethod(incoming.Method), _dav.Url.TrimEnd('/') + incoming.Path + incoming.QueryString);
        if (incoming.ContentLength > 0 || incoming.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(incoming.Body);
        }
        foreach (var header in incoming.Headers)
        {
            if (header.Key.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Content?.Headers.TryAddWithoutValidation(header.Key, [.. header.Value]);
            }
            else if (!header.Key.Equals("Host", StringComparison.OrdinalIgnoreCase) && !header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(header.Key, [.. header.Value]);
            }
        }
        using var response = await _forward.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (!header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }
        await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        var path = incoming.Path.Value ?? "";
        if (incoming.Method == "GET" && _pauses.TryGetValue(path, out var gate))
        {
            await CopyAsync(body, context.Response.Body, _pauseAfter[path], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await gate.Task.WaitAsync(context.RequestAborted);
        }
        await body.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private static async Task CopyAsync(Stream from, Stream to, long count, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        while (count > 0)
        {
            var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct);
            if (read == 0)
            {
                return;
            }
            await to.WriteAsync(buffer.AsMemory(0, read), ct);
            count -= read;
        }
    }

    private string Local(string id) => Path.Combine(_dav.Root, id.TrimStart('/'));

    private string Id(string localPath) => "/" + Path.GetRelativePath(_dav.Root, localPath).Replace('\\', '/');
}
