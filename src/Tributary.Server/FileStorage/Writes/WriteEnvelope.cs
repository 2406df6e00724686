using System.Text.Json.Serialization;
using Tributary.Server.Errors;

namespace Tributary.Server.FileStorage.Writes;

/// <summary>Merge's <c>Problem</c>: one warning or error of a write, pointing at the field it is about.</summary>
internal sealed record Problem(ProblemSource? Source, string Title, string Detail, string ProblemType);

/// <summary>A JSON pointer into the request, e.g. <c>/model/name</c>.</summary>
internal sealed record ProblemSource(string Pointer);

/// <summary>Merge's <c>DebugModeLog</c>, returned when <c>is_debug_mode=true</c>.</summary>
internal sealed record DebugModeLog(string LogId, string DashboardView, DebugModeLogSummary LogSummary);

internal sealed record DebugModeLogSummary(string Url, string Method, int StatusCode);

/// <summary>Merge's write envelope (<c>FileStorageFileResponse</c>, <c>FileStorageFolderResponse</c>); <c>logs</c> only in debug mode.</summary>
internal sealed record WriteResponse<T>(
    T Model,
    IReadOnlyList<Problem> Warnings,
    IReadOnlyList<Problem> Errors,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<DebugModeLog>? Logs);

/// <summary>The body of a refused write: the same <c>warnings</c> and <c>errors</c> lists, without a model.</summary>
internal sealed record WriteRejection(IReadOnlyList<Problem> Warnings, IReadOnlyList<Problem> Errors);

/// <summary>Merge's <c>problem_type</c> values used here. <c>UNSUPPORTED_FIELD</c> is the warning Merge gives for a known field the integration does not write.</summary>
internal static class ProblemTypes
{
    public const string MissingRequiredField = "MISSING_REQUIRED_FIELD";
    public const string IncorrectFieldType = "INCORRECT_FIELD_TYPE";
    public const string InvalidFieldChoice = "INVALID_FIELD_CHOICE";
    public const string UnrecognizedField = "UNRECOGNIZED_FIELD";
    public const string UnsupportedField = "UNSUPPORTED_FIELD";
    public const string CorruptedFile = "CORRUPTED_FILE";
    public const string Error = "ERROR";
}

/// <summary>Collects a write's warnings and errors; any error refuses the write with a 400 before the provider is called.</summary>
internal sealed class WriteProblems
{
    public List<Problem> Warnings { get; } = [];
    public List<Problem> Errors { get; } = [];

    public void Error(string? pointer, string problemType, string title, string detail) =>
        Errors.Add(new Problem(pointer is null ? null : new ProblemSource(pointer), title, detail, problemType));

    public void Warning(string? pointer, string problemType, string title, string detail) =>
        Warnings.Add(new Problem(pointer is null ? null : new ProblemSource(pointer), title, detail, problemType));

    public void ThrowIfErrors()
    {
        if (Errors.Count > 0)
        {
            throw new WriteRejectedException(this);
        }
    }

    /// <summary>Refuses the write at once with this one error (and the warnings so far).</summary>
    public WriteRejectedException Reject(string? pointer, string problemType, string title, string detail)
    {
        Error(pointer, problemType, title, detail);
        return new WriteRejectedException(this);
    }
}

/// <summary>A 400 whose body is the write envelope's <c>warnings</c> and <c>errors</c>; nothing was written.</summary>
internal sealed class WriteRejectedException(WriteProblems problems)
    : ApiException(StatusCodes.Status400BadRequest, new WriteRejection(problems.Warnings, problems.Errors),
        string.Join("; ", problems.Errors.Select(e => $"{e.Source?.Pointer}: {e.Detail}")));
