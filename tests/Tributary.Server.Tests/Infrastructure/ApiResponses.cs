using System.Net;
using System.Text.Json;

namespace Tributary.Server.Tests.Infrastructure;

/// <summary>Reads and checks Merge-shaped responses: JSON bodies, <c>{"detail": …}</c> and field errors.</summary>
internal static class ApiResponses
{
    /// <summary>The body as JSON; fails the test when the body is empty or not JSON.</summary>
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrEmpty(text), $"{(int)response.StatusCode} came with an empty body.");
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        Assert.True(mediaType is not null && mediaType.Contains("json", StringComparison.Ordinal),
            $"{(int)response.StatusCode} came as {mediaType ?? "no content type"}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts the status and a <c>{"detail": "…"}</c> body; returns the detail.</summary>
    public static async Task<string> AssertDetailAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.JsonAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
        return body.GetProperty("detail").GetString()!;
    }

    /// <summary>Asserts a 400 naming <paramref name="field"/>; returns that field's messages joined.</summary>
    public static async Task<string> AssertFieldErrorAsync(this HttpResponseMessage response, string field)
    {
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"Expected 400, got {(int)response.StatusCode}: {body}");
        Assert.True(body.TryGetProperty(field, out var messages), $"The 400 does not name '{field}': {body}");
        Assert.Equal(JsonValueKind.Array, messages.ValueKind);
        var all = string.Join(" ", messages.EnumerateArray().Select(m => m.GetString()));
        Assert.False(string.IsNullOrWhiteSpace(all));
        return all;
    }

    /// <summary>Lists <paramref name="path"/> with each query and asserts the ids of the results, in order.</summary>
    public static async Task AssertListedIdsAsync(this HttpClient client, string path, IEnumerable<(string Query, Guid[] Expected)> cases)
    {
        foreach (var (query, expected) in cases)
        {
            var response = await client.GetAsync($"{path}?{query}", TestContext.Current.CancellationToken);
            var body = await response.JsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {body}");
            Assert.True(expected.SequenceEqual(body.Ids()), $"{query}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", body.Ids())}]");
        }
    }

    /// <summary>Lists <paramref name="path"/> with each query and asserts a 400 naming the case's field.</summary>
    public static async Task AssertFieldErrorsAsync(this HttpClient client, string path, IEnumerable<(string Query, string Field)> cases)
    {
        foreach (var (query, field) in cases)
        {
            await (await client.GetAsync($"{path}?{query}", TestContext.Current.CancellationToken)).AssertFieldErrorAsync(field);
        }
    }

    /// <summary>page_size values every listing refuses: above 100, below 1, not an integer.</summary>
    public static readonly (string Query, string Field)[] InvalidPageSizes =
        [("page_size=101", "page_size"), ("page_size=0", "page_size"), ("page_size=-1", "page_size"), ("page_size=abc", "page_size")];

    /// <summary>The ids of a page's <c>results</c>, in order.</summary>
    public static List<Guid> Ids(this JsonElement page) =>
        page.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ToList();

    /// <summary>A page's <c>next</c> or <c>previous</c> token, null when absent or null.</summary>
    public static string? Cursor(this JsonElement page, string name) =>
        page.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
