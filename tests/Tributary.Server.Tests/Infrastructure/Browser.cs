using Microsoft.Playwright;

namespace Tributary.Server.Tests.Infrastructure;

/// <summary>
/// One headless Chromium (Debian's <c>/usr/bin/chromium</c>, never a Playwright download) for the
/// whole test run, started on first use; each test gets its own isolated context.
/// </summary>
internal static class Browser
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>The launch flags known to work on this machine kind (shared/reference/environment.md §4).</summary>
    public static readonly IReadOnlyList<string> LaunchArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private static readonly Lazy<Task<IBrowser>> Shared = new(LaunchAsync);

    /// <summary>A fresh context (own cookies, storage and popups) on the shared browser.</summary>
    public static async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        var browser = await Shared.Value;
        var context = await browser.NewContextAsync(options ?? new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 760 } });
        context.SetDefaultTimeout(15_000);
        return context;
    }

    /// <summary>Where screenshots go: <c>TRIBUTARY_SCREENSHOTS</c>, else a temp directory.</summary>
    public static string ScreenshotDirectory
    {
        get
        {
            var directory = Environment.GetEnvironmentVariable("TRIBUTARY_SCREENSHOTS") is { Length: > 0 } configured
                ? configured
                : Path.Combine(Path.GetTempPath(), "tributary-screenshots");
            Directory.CreateDirectory(directory);
            return directory;
        }
    }

    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.SendDiagnosticMessage($"Screenshot: {path}");
        return path;
    }

    private static async Task<IBrowser> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"Browser tests need Debian's Chromium at {ExecutablePath}: apt-get install chromium.");
        }
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = LaunchArgs,
        });
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            browser.CloseAsync().Wait(TimeSpan.FromSeconds(5));
            playwright.Dispose();
        };
        return browser;
    }
}
