using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Tests.Linking;
using static Microsoft.Playwright.Assertions;

namespace Tributary.Server.Tests.Connectors.EndToEnd;

/// <summary>
/// The deployment's public address as a provider sees it: a front door on its own loopback port that
/// forwards every request, byte for byte, to Tributary once Tributary is up. It exists because
/// <c>Push:PublicBaseUrl</c> must be known before Tributary starts, whose own port is picked at start.
/// </summary>
internal sealed class PublicFrontDoor : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Host", "Content-Length", "Transfer-Encoding", "Connection" };
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private LoopbackServer _server = null!;

    public Uri? Target { get; set; }

    public string Origin => _server.Origin;

    public static async Task<PublicFrontDoor> StartAsync()
    {
        var door = new PublicFrontDoor();
        door._server = await LoopbackServer.StartAsync(app => app.Run(door.ForwardAsync));
        return door;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        if (Target is null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(Target, context.Request.Path + context.Request.QueryString));
        if (body.Length > 0 || HttpMethods.IsPost(context.Request.Method))
        {
            request.Content = new ByteArrayContent(body.ToArray());
        }
        foreach (var (name, values) in context.Request.Headers.Where(h => !HopByHop.Contains(h.Key)))
        {
            if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }
        using var response = await _client.SendAsync(request, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        if (response.Content.Headers.ContentType is { } type)
        {
            context.Response.ContentType = type.ToString();
        }
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
    }
}

/// <summary>
/// The end-to-end proof of provider push: an end user links the account through the Link UI in Chromium,
/// the initial sync runs, the platform's subscription job subscribes at the provider fake (with
/// <c>Push:PublicBaseUrl</c> pointing at <see cref="PublicFrontDoor"/>), then a change at the provider
/// must come back as a notification, an incremental sync, and the new file through
/// <c>GET /api/filestorage/v1/files</c>, within seconds and without any scheduled sync in between.
/// </summary>
internal static class PushEndToEnd
{
    /// <summary>How long the change may take to become visible; generous for a loaded 2-core machine (the goal is 2 s).</summary>
    public static readonly TimeSpan VisibleWithin = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="slug">The catalog slug.</param>
    /// <param name="name">The catalog name the Link UI shows.</param>
    /// <param name="pushProvider">The provider name under <c>/api/push/</c>.</param>
    /// <param name="settings">Integration settings pointing at the fake.</param>
    /// <param name="atProvider">Provider-side setup once the public URL is known (Dropbox's App Console webhook URI).</param>
    /// <param name="change">Makes a new file at the provider and returns its name (unique).</param>
    /// <param name="kind">The store.</param>
    /// <returns>The time from the change to its visibility through the API.</returns>
    public static async Task<TimeSpan> RunAsync(
        string slug, string name, string pushProvider, IReadOnlyDictionary<string, string?> settings, Action<Uri>? atProvider, Func<string> change,
        DatabaseKind kind)
    {
        await using var door = await PublicFrontDoor.StartAsync();
        var all = new Dictionary<string, string?>(settings)
        {
            ["Tributary:RateLimitPerMinute"] = "1000000",
            ["Push:PublicBaseUrl"] = door.Origin,
        };
        await using var app = await TributaryApplication.StartAsync(kind, all, kestrel: true);
        door.Target = app.ClientOptions.BaseAddress;
        atProvider?.Invoke(new Uri(door.Origin));
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, integration: slug);

        await using var host = await LinkTestKit.StartHostPageAsync(app.ClientOptions.BaseAddress);
        await using var browser = await Browser.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{host.Origin}/?token={Uri.EscapeDataString(link.LinkToken)}");
        await ProviderEndToEnd.WaitForEventAsync(page, "ready");
        await page.ClickAsync("#connect");
        var frame = page.FrameLocator("#tributary-link-iframe");
        await frame.Locator("[data-action=continue]").ClickAsync();
        await Expect(frame.Locator("h1")).ToHaveTextAsync($"Log in to {name}");
        var popup = await page.RunAndWaitForPopupAsync(() => frame.GetByRole(AriaRole.Link, new() { Name = $"Continue to {name}" }).ClickAsync());
        await popup.ClickAsync("#allow");
        var success = await ProviderEndToEnd.WaitForEventAsync(page, "success");
        var (accountToken, accountId) = await LinkTestKit.ExchangeAsync(app, org, success.GetProperty("publicToken").GetString()!);

        await ProviderEndToEnd.WaitForInitialSyncAsync(app, accountId);
        await WaitForChannelsAsync(app, accountId, pushProvider);
        var syncedBefore = await LastSyncStartAsync(app, accountId);

        using var api = app.CreateApiClient(org.ProductionKey, accountToken);
        var clock = Stopwatch.StartNew();
        var fileName = change();
        while (!await VisibleAsync(api, fileName))
        {
            Assert.True(clock.Elapsed < VisibleWithin, $"{fileName} changed at {slug} was not visible through the API within {VisibleWithin}.");
            await Task.Delay(25, Ct);
        }
        var latency = clock.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine($"{slug}: change at the provider visible through the API after {latency.TotalMilliseconds:F0} ms");
        Assert.True(await LastSyncStartAsync(app, accountId) > syncedBefore, "the change arrived through a sync run started after the initial one");
        return latency;
    }

    private static async Task WaitForChannelsAsync(TributaryApplication app, Guid accountId, string provider)
    {
        var deadline = Stopwatch.StartNew();
        while (await app.WithDbAsync((db, _) => db.PushChannels.IgnoreQueryFilters().CountAsync(c => c.LinkedAccountId == accountId && c.Provider == provider, Ct)) == 0)
        {
            var issues = await app.WithDbAsync((db, _) => db.Issues.IgnoreQueryFilters().Where(i => i.LinkedAccountId == accountId).Select(i => i.ErrorDescription).ToListAsync(Ct));
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60),
                $"The subscription job did not subscribe the account at {provider} within 60 s (issues: {string.Join("; ", issues)}).");
            await Task.Delay(100, Ct);
        }
    }

    private static Task<DateTime?> LastSyncStartAsync(TributaryApplication app, Guid accountId) =>
        app.WithDbAsync((db, _) => db.SyncStates.IgnoreQueryFilters().AsNoTracking().Where(s => s.LinkedAccountId == accountId).MaxAsync(s => s.LastSyncStart, Ct));

    private static async Task<bool> VisibleAsync(HttpClient api, string fileName)
    {
        using var response = await api.GetAsync($"/api/filestorage/v1/files?name={Uri.EscapeDataString(fileName)}", Ct);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return body.GetProperty("results").EnumerateArray().Any(f => f.GetProperty("name").GetString() == fileName);
    }
}
