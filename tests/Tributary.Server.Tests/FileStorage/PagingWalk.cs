using System.Text.Json;

namespace Tributary.Server.Tests.FileStorage;

internal static class PagingWalk
{
    /// <summary>
    /// Reads a listing to the end with <paramref name="pageSize"/>, re-sending every parameter with
    /// each cursor as Merge's SDKs do, then walks back from the last page with <c>previous</c>.
    /// Checks that every id comes exactly once, that only the last page is short, that the first
    /// page has no <c>previous</c>, and that going back yields the same pages. Returns the ids in order.
    /// </summary>
    public static async Task<List<Guid>> WalkAsync(FileStorageWorld world, string path, string query, int pageSize)
    {
        var baseUrl = $"{path}?{query}{(query.Length > 0 ? "&" : "")}page_size={pageSize}";
        string Url(string? cursor) => cursor is null ? baseUrl : $"{baseUrl}&cursor={Uri.EscapeDataString(cursor)}";

        var pages = new List<(List<Guid> Ids, string? Previous)>();
        string? next = null;
        do
        {
            var page = await world.GetJsonAsync(Url(next));
            var ids = ResultIds(page);
            Assert.InRange(ids.Count, 1, pageSize);
            var previous = page.GetProperty("previous").GetString();
            if (pages.Count == 0)
            {
                Assert.Null(previous);
            }
            else
            {
                Assert.NotNull(previous);
                Assert.Equal(pageSize, pages[^1].Ids.Count);
            }
            pages.Add((ids, previous));
            next = page.GetProperty("next").GetString();
            Assert.True(pages.Count <= 200, "The listing never ends.");
        }
        while (next is not null);

        var all = pages.SelectMany(p => p.Ids).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());

        // Back from the last page to the first: the same pages, in reverse.
        var back = pages[^1].Previous;
        var index = pages.Count - 2;
        while (back is not null)
        {
            Assert.True(index >= 0, "previous went past the first page.");
            var page = await world.GetJsonAsync(Url(back));
            Assert.Equal(pages[index].Ids, ResultIds(page));
            Assert.NotNull(page.GetProperty("next").GetString());
            back = page.GetProperty("previous").GetString();
            index--;
        }
        Assert.Equal(-1, index);
        return all;
    }

    public static List<Guid> ResultIds(JsonElement page) =>
        page.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ToList();
}
