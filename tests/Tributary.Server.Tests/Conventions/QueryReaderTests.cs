using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;

namespace Tributary.Server.Tests.Conventions;

public sealed class QueryReaderTests
{
    private static readonly string[] FileRelations = ["drive", "folder", "permissions"];

    [Theory]
    [InlineData("?expand=drive,folder,permissions")]
    [InlineData("?expand=drive%2Cfolder%2Cpermissions")]
    [InlineData("?expand=drive&expand=folder&expand=permissions")]
    [InlineData("?expand=permissions,folder&expand=drive")]
    [InlineData("?expand=folder,drive,folder&expand=permissions&expand=drive")]
    [InlineData("?expand=drive,,folder,%20permissions")]
    public void Expand_AcceptsCommaListsAndRepeatedKeys_InAnyOrder(string queryString)
    {
        var reader = Reader(queryString);

        var expand = reader.Expand(FileRelations);

        reader.ThrowIfInvalid();
        Assert.Equal(FileRelations.Order(StringComparer.Ordinal), expand.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Expand_IsEmpty_WhenAbsentOrBlank()
    {
        Assert.Empty(Reader("").Expand(FileRelations));
        var blank = Reader("?expand=");
        Assert.Empty(blank.Expand(FileRelations));
        blank.ThrowIfInvalid();
    }

    [Fact]
    public void Expand_NamesExpand_WhenRelationUnknown()
    {
        var reader = Reader("?expand=drive,owner&expand=parent");

        var expand = reader.Expand(FileRelations);

        Assert.Equal(["drive"], expand);
        var error = Assert.Throws<ValidationException>(reader.ThrowIfInvalid);
        var message = Assert.Single(error.Errors["expand"]);
        Assert.Contains("\"owner\"", message, StringComparison.Ordinal);
        Assert.Contains("\"parent\"", message, StringComparison.Ordinal);
        Assert.Contains("drive, folder, permissions", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expand_SaysNothingExpands_WhenModelHasNoRelations()
    {
        var reader = Reader("?expand=drive");

        reader.Expand([]);

        var error = Assert.Throws<ValidationException>(reader.ThrowIfInvalid);
        Assert.Equal("This model has no relations to expand.", Assert.Single(error.Errors["expand"]));
    }

    [Fact]
    public void List_ReturnsDistinctItemsInOrder_WhenCommasAndRepeatedKeysMix()
    {
        var reader = Reader("?end_user_origin_ids=user-2,user-1&end_user_origin_ids=user-3,user-2&end_user_origin_ids=");

        Assert.Equal(["user-2", "user-1", "user-3"], reader.List("end_user_origin_ids"));
        Assert.Empty(reader.List("absent"));
    }

    [Fact]
    public void Guids_NamesEachBadItem_WhenCommaListHasInvalidUuids()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var good = Reader($"?ids={a}%2C{b}&ids={a}");
        Assert.Equal([a, b], good.Guids("ids"));
        good.ThrowIfInvalid();

        var bad = Reader($"?ids={a},nope,12");
        Assert.Equal([a], bad.Guids("ids"));
        var error = Assert.Throws<ValidationException>(bad.ThrowIfInvalid);
        Assert.Equal(2, error.Errors["ids"].Count);
        Assert.Contains("\"nope\"", error.Errors["ids"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 100)]
    [InlineData("?page_size=", 100)]
    [InlineData("?page_size=1", 1)]
    [InlineData("?page_size=37", 37)]
    [InlineData("?page_size=100", 100)]
    public void PageSize_DefaultsTo100_AndAcceptsOneToHundred(string queryString, int expected)
    {
        var reader = Reader(queryString);

        Assert.Equal(expected, reader.PageSize());
        reader.ThrowIfInvalid();
    }

    [Theory]
    [InlineData("101")]
    [InlineData("1000")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("1e2")]
    [InlineData("99999999999999999999")]
    public void PageSize_NamesPageSize_WhenOutOfRangeOrNotAnInteger(string value)
    {
        var reader = Reader("?page_size=" + Uri.EscapeDataString(value));

        reader.PageSize();

        var error = Assert.Throws<ValidationException>(reader.ThrowIfInvalid);
        Assert.Single(error.Errors["page_size"]);
    }

    [Theory]
    [InlineData("2024-01-31T12:00:00Z", "2024-01-31T12:00:00.0000000Z")]
    [InlineData("2024-01-31T12:00:00.000Z", "2024-01-31T12:00:00.0000000Z")]
    [InlineData("2024-01-31T12:00:00.123Z", "2024-01-31T12:00:00.1230000Z")]
    [InlineData("2024-01-31T12:00:00.123456Z", "2024-01-31T12:00:00.1234560Z")]
    [InlineData("2024-01-31T12:00:00", "2024-01-31T12:00:00.0000000Z")]
    [InlineData("2024-01-31T12:00:00.250", "2024-01-31T12:00:00.2500000Z")]
    [InlineData("2024-01-31T14:00:00+02:00", "2024-01-31T12:00:00.0000000Z")]
    [InlineData("2024-01-31T14:00:00.500+02:00", "2024-01-31T12:00:00.5000000Z")]
    [InlineData("2024-01-31T07:00:00-05:00", "2024-01-31T12:00:00.0000000Z")]
    [InlineData("2024-01-31", "2024-01-31T00:00:00.0000000Z")]
    public void DateTime_ReadsIso8601_AsUtc(string value, string expectedUtc)
    {
        var reader = Reader("?start_date=" + Uri.EscapeDataString(value));

        var parsed = reader.DateTime("start_date");

        reader.ThrowIfInvalid();
        Assert.NotNull(parsed);
        Assert.Equal(DateTimeKind.Utc, parsed.Value.Kind);
        Assert.Equal(expectedUtc, parsed.Value.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void DateTime_ReadsOffset_WhenPlusArrivesAsSpace()
    {
        // A client that did not percent-encode '+' sends it as a literal '+', which decodes to a space.
        var reader = Reader("?start_date=2024-01-31T14:00:00+02:00");

        var parsed = reader.DateTime("start_date");

        reader.ThrowIfInvalid();
        Assert.Equal(new DateTime(2024, 1, 31, 12, 0, 0, DateTimeKind.Utc), parsed);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2024-13-01")]
    [InlineData("2024-02-30T00:00:00Z")]
    [InlineData("31/01/2024")]
    [InlineData("01/31/2024 12:00")]
    [InlineData("1706702400")]
    [InlineData("2024-01-31T25:00:00Z")]
    [InlineData("Wed, 31 Jan 2024 12:00:00 GMT")]
    public void DateTime_NamesParameter_WhenNotIso8601(string value)
    {
        var reader = Reader("?end_date=" + Uri.EscapeDataString(value));

        Assert.Null(reader.DateTime("end_date"));

        var error = Assert.Throws<ValidationException>(reader.ThrowIfInvalid);
        Assert.Contains("ISO 8601", Assert.Single(error.Errors["end_date"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("false", false)]
    [InlineData("FALSE", false)]
    public void Bool_ParsesValue_WhenTrueOrFalseInAnyCase(string value, bool expected)
    {
        var reader = Reader("?include_remote_data=" + value);

        Assert.Equal(expected, reader.Bool("include_remote_data"));
        reader.ThrowIfInvalid();
    }

    [Fact]
    public void Bool_NamesParameter_WhenNotBoolean()
    {
        var reader = Reader("?include_remote_data=yes");

        Assert.Null(reader.Bool("include_remote_data"));

        var error = Assert.Throws<ValidationException>(reader.ThrowIfInvalid);
        Assert.True(error.Errors.ContainsKey("include_remote_data"));
    }

    [Fact]
    public void Choice_IsExactAndNamesParameter_WhenUnknown()
    {
        string[] statuses = ["COMPLETE", "IDLE"];
        var reader = Reader("?status=complete");

        Assert.Null(reader.Choice("status", statuses));

        var error = Assert.Throws<ValidationException>(reader.ThrowIfInvalid);
        Assert.Contains("COMPLETE, IDLE", Assert.Single(error.Errors["status"]), StringComparison.Ordinal);
    }

    [Fact]
    public void String_NamesParameter_WhenLongerThanMax()
    {
        var reader = Reader("?name=" + new string('a', 11));

        Assert.Null(reader.String("name", 10));

        var error = Assert.Throws<ValidationException>(reader.ThrowIfInvalid);
        Assert.Contains("10", Assert.Single(error.Errors["name"]), StringComparison.Ordinal);
    }

    [Fact]
    public void StringAndList_NameParameter_WhenValueHasNul()
    {
        var reader = Reader("?user_email=a%00b&end_user_origin_ids=x,y%00&clean=ok");

        Assert.Null(reader.String("user_email"));
        Assert.Empty(reader.List("end_user_origin_ids"));
        Assert.Equal("ok", reader.String("clean"));

        var error = Assert.Throws<ValidationException>(reader.ThrowIfInvalid);
        Assert.Equal(["end_user_origin_ids", "user_email"], error.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void String_TakesLastValue_WhenKeyRepeated()
    {
        Assert.Equal("b", Reader("?name=a&name=b").String("name"));
    }

    [Fact]
    public void Reader_IgnoresParameters_WhenNotAskedAbout()
    {
        var reader = Reader("?custom_param=x&page_size=banana&expand=nonsense&include_duplicates=maybe");

        Assert.Equal("x", reader.String("custom_param"));

        reader.ThrowIfInvalid();
    }

    [Fact]
    public void ThrowIfInvalid_ListsEveryBadParameter_InOneError()
    {
        var reader = Reader("?page_size=0&start_date=soon&status=NOPE&id=x");

        reader.PageSize();
        reader.DateTime("start_date");
        reader.Choice("status", ["COMPLETE"]);
        reader.Guid("id");

        var error = Assert.Throws<ValidationException>(reader.ThrowIfInvalid);
        Assert.Equal(["id", "page_size", "start_date", "status"], error.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(400, error.StatusCode);
    }

    private static QueryReader Reader(string queryString) => new(new QueryCollection(QueryHelpers.ParseQuery(queryString)));
}
