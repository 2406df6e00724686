using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.Sandbox;

/// <summary>
/// The Sandbox's fixed demo world: the same drives, folders, files (with real content), users,
/// groups and permissions for every account, so docs and tests can name them.
/// </summary>
internal static class SandboxData
{
    public const string NativeDocumentMimeType = "application/vnd.tributary.sandbox-document";
    private static readonly DateTimeOffset Epoch = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlyList<RemoteUser> Users =
    [
        new("user-ada", "Ada Lovelace", "ada@sandbox.example", IsMe: true),
        new("user-grace", "Grace Hopper", "grace@sandbox.example", IsMe: false),
        new("user-alan", "Alan Turing", "alan@sandbox.example", IsMe: false),
        new("user-katherine", "Katherine Johnson", "katherine@sandbox.example", IsMe: false),
    ];

    public static readonly IReadOnlyList<RemoteGroup> Groups =
    [
        new("group-engineering", "Engineering", ["user-grace", "user-alan"], []),
        new("group-everyone", "Everyone", ["user-ada", "user-grace", "user-alan", "user-katherine"], ["group-engineering"]),
    ];

    public static readonly IReadOnlyList<RemoteDrive> Drives =
    [
        new("drive-my", "My Drive", "https://sandbox.tributary.example/drives/drive-my", At(0)),
        new("drive-team", "Team Drive", "https://sandbox.tributary.example/drives/drive-team", At(1)),
    ];

    public static readonly IReadOnlyList<RemoteFolder> Folders =
    [
        Folder("folder-projects", "Projects", null, "drive-my", 2, [Owner("user-ada")]),
        Folder("folder-apollo", "Apollo", "folder-projects", "drive-my", 3,
            [Owner("user-ada"), new RemotePermission("perm-apollo-eng", PermissionType.Group, null, "group-engineering", [PermissionRole.Read, PermissionRole.Write])]),
        Folder("folder-designs", "Designs", "folder-apollo", "drive-my", 4, [Owner("user-ada")]),
        Folder("folder-reports", "Reports", null, "drive-my", 5,
            [Owner("user-ada"), new RemotePermission("perm-reports-company", PermissionType.Company, null, null, [PermissionRole.Read])]),
        Folder("folder-shared", "Shared", null, "drive-team", 6, [Owner("user-grace")]),
        Folder("folder-archive", "Archive 2025", "folder-shared", "drive-team", 7, [Owner("user-grace")]),
    ];

    /// <summary>Every file with its content, in a stable order.</summary>
    public static readonly IReadOnlyList<(RemoteFile File, Func<byte[]> Content)> Files = BuildFiles();

    public static byte[] Export(string mimeType)
    {
        var text = QuarterlyReviewText;
        return mimeType switch
        {
            "text/plain" => Encoding.UTF8.GetBytes(text),
            "text/html" => Encoding.UTF8.GetBytes($"<!doctype html><html><head><meta charset=\"utf-8\"><title>Quarterly Review</title></head><body>{string.Concat(text.Split('\n').Select(l => $"<p>{System.Net.WebUtility.HtmlEncode(l)}</p>"))}</body></html>"),
            "application/pdf" => SimplePdf(text),
            _ => throw new ProviderException(ProviderErrorKind.InvalidRequest, $"Sandbox documents export as text/plain, text/html or application/pdf, not {mimeType}."),
        };
    }

    public static readonly IReadOnlyList<string> ExportFormats = ["application/pdf", "text/plain", "text/html"];

    private const string QuarterlyReviewText = "Quarterly Review\nRevenue grew 12% quarter over quarter.\nApollo shipped its first milestone.\nNext: hire two engineers.";

    private static List<(RemoteFile, Func<byte[]>)> BuildFiles()
    {
        var files = new List<(RemoteFile, Func<byte[]>)>();
        var hour = 10;
        void Add(string id, string name, string mime, string? folder, string drive, Func<byte[]> content, IReadOnlyList<RemotePermission> permissions, string? description = null)
        {
            var bytes = content();
            var file = new RemoteFile(
                id, name, $"https://sandbox.tributary.example/files/{id}", mime.StartsWith("image/", StringComparison.Ordinal) ? $"https://sandbox.tributary.example/thumbnails/{id}" : null,
                bytes.Length, mime, description, folder, drive,
                new RemoteChecksum("sha256", Convert.ToHexStringLower(SHA256.HashData(bytes))), permissions, At(hour), At(hour + 1));
            hour += 2;
            files.Add((file, content));
        }

        Add("file-readme", "README.md", "text/markdown", null, "drive-my",
            () => Utf8("# Welcome to the Tributary Sandbox\n\nThis drive holds demo data: nested folders, files of several types, users, groups and permissions.\n"),
            [Owner("user-ada")], "Start here");
        Add("file-notes", "notes.txt", "text/plain", "folder-projects", "drive-my",
            () => Utf8("Project notes\n- Apollo kickoff on Monday\n- Review designs with Grace\n"), [Owner("user-ada")]);
        Add("file-apollo-plan", "apollo-plan.md", "text/markdown", "folder-apollo", "drive-my",
            () => Utf8("# Apollo plan\n\n1. Prototype\n2. Beta\n3. Launch\n"),
            [Owner("user-ada"), new RemotePermission("perm-plan-grace", PermissionType.User, "user-grace", null, [PermissionRole.Write])]);
        Add("file-logo", "logo.svg", "image/svg+xml", "folder-designs", "drive-my",
            () => Utf8("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\" viewBox=\"0 0 64 64\"><circle cx=\"32\" cy=\"32\" r=\"28\" fill=\"#7C3AED\"/><path d=\"M18 36c8-12 20-12 28 0\" stroke=\"#fff\" stroke-width=\"5\" fill=\"none\"/></svg>\n"),
            [Owner("user-ada")]);
        Add("file-pixel", "pixel.png", "image/png", "folder-designs", "drive-my",
            () => Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
            [Owner("user-ada")]);
        Add("file-budget", "budget.csv", "text/csv", "folder-reports", "drive-my",
            () => Utf8("quarter,revenue,costs\nQ1,120000,90000\nQ2,134000,95000\nQ3,150000,99000\nQ4,168000,104000\n"),
            [Owner("user-ada")]);
        Add("file-metrics", "metrics.json", "application/json", "folder-reports", "drive-my",
            () => Utf8("{\"active_users\": 1280, \"churn\": 0.021, \"nps\": 48}\n"), [Owner("user-ada")]);
        Add("file-quarterly-review", "Quarterly Review", NativeDocumentMimeType, "folder-reports", "drive-my",
            () => Utf8(QuarterlyReviewText), [Owner("user-ada")], "A native document: download it with mime_type to export it");
        Add("file-handbook", "handbook.html", "text/html", "folder-shared", "drive-team",
            () => Utf8("<!doctype html><html><body><h1>Team handbook</h1><p>Be kind. Ship often.</p></body></html>\n"),
            [Owner("user-grace"), new RemotePermission("perm-handbook-anyone", PermissionType.Anyone, null, null, [PermissionRole.Read])]);
        Add("file-large-dataset", "large-dataset.csv", "text/csv", "folder-archive", "drive-team", LargeDataset, [Owner("user-grace")],
            "About 1 MB of generated rows, for streaming and range requests");
        for (var day = 1; day <= 14; day++)
        {
            var date = new DateOnly(2025, 3, day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            Add($"file-meeting-{date}", $"meeting-{date}.txt", "text/plain", "folder-archive", "drive-team",
                () => Utf8($"Meeting notes {date}\nAttendees: Grace, Alan\nDecisions: keep going.\n"), [Owner("user-grace")]);
        }
        return files;
    }

    private static byte[] LargeDataset()
    {
        var text = new StringBuilder("id,name,value\n");
        for (var i = 1; text.Length < 1_000_000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},item-{i:D6},{(i * 7919) % 100000}\n");
        }
        return Utf8(text.ToString());
    }

    private static RemoteFolder Folder(string id, string name, string? parent, string drive, int hour, IReadOnlyList<RemotePermission> permissions) =>
        new(id, name, $"https://sandbox.tributary.example/folders/{id}", null, null, parent, drive, permissions, At(hour), At(hour));

    private static RemotePermission Owner(string user) => new($"perm-owner-{user}", PermissionType.User, user, null, [PermissionRole.Owner]);

    private static DateTimeOffset At(int hours) => Epoch.AddHours(hours);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A one-page PDF showing <paramref name="text"/>; enough for any viewer.</summary>
    private static byte[] SimplePdf(string text)
    {
        var lines = text.Split('\n');
        var stream = new StringBuilder("BT /F1 14 Tf 72 720 Td 18 TL\n");
        foreach (var line in lines)
        {
            stream.Append('(').Append(line.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("(", "\\(", StringComparison.Ordinal).Replace(")", "\\)", StringComparison.Ordinal)).Append(") Tj T*\n");
        }
        stream.Append("ET");
        string[] objects =
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            $"<< /Length {stream.Length} >>\nstream\n{stream}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ];
        var pdf = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Length; i++)
        {
            offsets.Add(pdf.Length);
            pdf.Append(CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }
        var xref = pdf.Length;
        pdf.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            pdf.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        }
        pdf.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.ASCII.GetBytes(pdf.ToString());
    }
}
