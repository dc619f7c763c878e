namespace Parley.Client.Internal;

// The bodies docs/http-api.md names that have no record of their own in the core: the batch envelopes, the numbered
// page's field names, the read marker's and readiness answers.

/// <summary>A numbered page: <c>{"items", "page", "per_page", "total", "total_pages"}</c>.</summary>
internal sealed record PageBody<T>(IReadOnlyList<T> Items, int Page, int PerPage, long Total);

/// <summary><c>{"messages": [...]}</c>, the batch a client sends.</summary>
internal sealed record NewMessagesBody(IReadOnlyList<NewMessage> Messages);

/// <summary><c>{"messages": [...]}</c>, the batch the server answers.</summary>
internal sealed record MessagesBody(IReadOnlyList<Message> Messages);

/// <summary><c>{"reports": [...]}</c>.</summary>
internal sealed record ReportsBody(IReadOnlyList<KeyedReportBody> Reports);

/// <summary>One report of a batch: the report's fields beside <c>message_id</c>.</summary>
internal sealed record KeyedReportBody(
    string? MessageId, MessageStatus Status, DateTimeOffset? At, string? ProviderMessageId, string? Channel,
    string? ErrorCode, string? ErrorMessage, System.Text.Json.Nodes.JsonObject? Detail, string? Source)
{
    public static KeyedReportBody Of(KeyedStatusReport keyed, int index)
    {
        var report = keyed?.Report ?? throw new ArgumentException($"reports[{index}] has no report.", "reports");
        return new(keyed.MessageId, report.Status, report.At, report.ProviderMessageId, report.Channel,
            report.ErrorCode, report.ErrorMessage, report.Detail, report.Source);
    }
}

/// <summary><c>{"results": [...]}</c>.</summary>
internal sealed record BatchResultsBody(IReadOnlyList<BatchResultBody> Results);

/// <summary>One report's result: an outcome, <c>parked: true</c>, or a problem object.</summary>
internal sealed record BatchResultBody(ReportOutcome? Outcome, string? MessageId, bool? Parked, ProblemBody? Error);

/// <summary><c>{"marked": n}</c>.</summary>
internal sealed record MarkedBody(int Marked);

/// <summary><c>{"items": [...]}</c>.</summary>
internal sealed record ItemsBody<T>(IReadOnlyList<T> Items);

/// <summary>The answer of <c>/health/ready</c>, 200 or 503.</summary>
internal sealed record ReadyBody(string Status, string Database, ReadySchemaBody? Schema, long WriterQueue, ParleySpoolReadiness? Spool);

/// <summary><c>{"verified", "version"}</c> of a readiness answer.</summary>
internal sealed record ReadySchemaBody(bool Verified, int Version);
