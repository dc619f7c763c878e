using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.ReadMarkers;
using Parley.Internal.Reports;
using Parley.Internal.Sessions;

namespace Parley.Internal.Transfer;

/// <summary>Where the lines of one import stand between batches: the tenant key each session id was imported under
/// (a message names its session by id, the session line before it says which tenant), so a message in the next batch
/// finds its session.</summary>
internal sealed class ImportContext(string? scopeTenant)
{
    public string? ScopeTenant { get; } = scopeTenant;
    public Dictionary<string, string?> SessionTenants { get; } = new(StringComparer.Ordinal);
    public (string TenantKey, string Id, bool Conflicted)? LastMessage { get; set; }
}

/// <summary>Imports one batch of NDJSON lines (docs/transfer.md, "Import") in one writer transaction, so summaries,
/// summary counts and the analytics rollups move with the rows exactly as they do for logged messages. Every line is
/// checked against what is stored first; nothing is written until every check of the batch has passed, so with
/// <see cref="ImportConflictMode.Fail"/> the batch holding a conflict writes nothing. A session, message or event that
/// is stored exactly is unchanged; a stored message with events it lacks takes them through the lifecycle rules; a
/// session line newer than the stored session moves its title, status, end, metadata and (forward only) its read
/// markers.</summary>
internal sealed class ImportBatchOp(ImportContext context, IReadOnlyList<ImportLine> lines, ImportConflictMode mode) : WriteOp<ImportBatchOp.Result>
{
    /// <summary>What the batch did, and where the lines stand after it (<see cref="ImportContext"/>, taken in once the
    /// batch committed: a batch may run more than once).</summary>
    public sealed record Result(long Inserted, long Updated, long Unchanged, List<ImportConflict> Conflicts,
        Dictionary<string, string?> Tenants, (string TenantKey, string Id, bool Conflicted)? Last);

    private enum Plan { Insert, Update, Unchanged, Conflict, Merge }

    private sealed record Step(ImportLine Line, Plan Plan, string TenantKey, string? Reason = null, MessageRow? Stored = null);

    protected override Result Write(WriteBatch batch)
    {
        var store = batch.Store;
        var steps = new List<Step>(lines.Count);
        // What this batch will have written by each line, for the checks of the lines after it.
        var newSessions = new HashSet<(string, string)>();
        var newMessages = new Dictionary<(string, string), MessageRow>();
        var seqs = new HashSet<(string, string, long)>();
        var providers = new HashSet<(string, string, string)>();
        var keys = new HashSet<(string, string, string)>();
        var events = new HashSet<(string, string, MessageStatus, DateTimeOffset, string?)>();
        var tenants = new Dictionary<string, string?>(context.SessionTenants, StringComparer.Ordinal);
        var last = context.LastMessage;
        store.Messages.Prefetch([.. lines.OfType<MessageLine>().Select(l => l.Row.Id)], []);

        foreach (var line in lines)
        {
            switch (line)
            {
                case BadLine bad:
                    steps.Add(new Step(bad, Plan.Conflict, "", bad.Reason));
                    if (bad.Kind == NdjsonLines.Message) last = ("", bad.Id, true);
                    break;
                case SessionLine s:
                {
                    var step = CheckSession(batch, s, newSessions, tenants);
                    // The session's messages and events are skipped with it.
                    if (step.Plan == Plan.Conflict) tenants[s.Row.Id] = null;
                    steps.Add(step);
                    break;
                }
                case MessageLine m:
                {
                    var step = CheckMessage(batch, m, tenants, newSessions, newMessages, seqs, providers, keys);
                    steps.Add(step);
                    last = (step.TenantKey, m.Row.Id, step.Plan == Plan.Conflict);
                    break;
                }
                case EventLine e:
                {
                    if (last is not { } owner || owner.Id != e.Row.MessageId)
                    {
                        steps.Add(new Step(e, Plan.Conflict, "", "an event line must follow its message's line."));
                        break;
                    }
                    if (owner.Conflicted)
                    {
                        steps.Add(new Step(e, Plan.Conflict, owner.TenantKey, "its message's line conflicts, so it is skipped with it."));
                        break;
                    }
                    e.Row.TenantKey = owner.TenantKey;
                    var key = (owner.TenantKey, e.Row.MessageId, e.Row.Status, e.Row.OccurredAt, e.Row.ErrorCode);
                    var isNew = newMessages.ContainsKey((owner.TenantKey, e.Row.MessageId));
                    var stored = !isNew && store.Reports.EventExists(owner.TenantKey, e.Row.MessageId, e.Row.Status, e.Row.OccurredAt, e.Row.ErrorCode);
                    steps.Add(new Step(e, stored || !events.Add(key) ? Plan.Unchanged : isNew ? Plan.Insert : Plan.Merge, owner.TenantKey));
                    break;
                }
            }
        }
        var firstConflict = steps.FirstOrDefault(s => s.Plan == Plan.Conflict);
        if (mode == ImportConflictMode.Fail && firstConflict is not null)
            throw new ParleyConflictException($"line {firstConflict.Line.LineNo}: {firstConflict.Reason} (on conflict fail: this batch was not imported).");

        // Every check passed: write.
        long inserted = 0, updated = 0, unchanged = 0;
        var conflicts = new List<ImportConflict>();
        var markersMoved = new HashSet<SessionState>();
        MessageRow? current = null;
        SessionState? currentSession = null;
        foreach (var step in steps)
        {
            switch (step.Plan)
            {
                case Plan.Conflict:
                    conflicts.Add(new ImportConflict(step.Line.LineNo, KindOf(step.Line), IdOf(step.Line), step.Reason!));
                    continue;
                case Plan.Unchanged:
                    unchanged++;
                    if (step.Line is MessageLine um) (current, currentSession) = (step.Stored ?? um.Row, batch.Session(step.TenantKey, um.Row.SessionId));
                    continue;
            }
            switch (step.Line)
            {
                case SessionLine s when step.Plan == Plan.Insert:
                    batch.AddSession(NewSession(s.Row));
                    inserted++;
                    break;
                case SessionLine s:
                {
                    var state = batch.Session(step.TenantKey, s.Row.Id)!;
                    if (UpdateSession(state, s.Row)) markersMoved.Add(state);
                    updated++;
                    break;
                }
                case MessageLine m when step.Plan == Plan.Insert:
                    currentSession = batch.Session(step.TenantKey, m.Row.SessionId)!;
                    current = m.Row;
                    InsertMessage(batch, m.Row, currentSession);
                    inserted++;
                    break;
                case MessageLine m:
                    // A stored message that the line gives its provider id.
                    currentSession = batch.Session(step.TenantKey, m.Row.SessionId)!;
                    current = step.Stored!;
                    current.ProviderMessageId = m.Row.ProviderMessageId;
                    if (m.Row.UpdatedAt > current.UpdatedAt) current.UpdatedAt = m.Row.UpdatedAt;
                    store.Messages.UpdateDelivery(current);
                    ReportApplier.ApplyParked(batch, current, currentSession);
                    currentSession.MarkImported();
                    updated++;
                    break;
                case EventLine e when step.Plan == Plan.Insert:
                    store.Reports.InsertEvent(e.Row);
                    inserted++;
                    break;
                case EventLine e:
                    MergeEvent(batch, current!, currentSession!, e.Row);
                    inserted++;
                    break;
            }
        }
        foreach (var state in markersMoved)
        {
            var row = state.Row;
            row.UnreadForAgent = store.ReadMarkers.CountUnread(row.TenantKey, row.Id, Reader.Agent, row.AgentReadSeq);
            row.UnreadForUser = store.ReadMarkers.CountUnread(row.TenantKey, row.Id, Reader.User, row.UserReadSeq);
        }
        return new Result(inserted, updated, unchanged, conflicts, tenants, last);
    }

    private static string KindOf(ImportLine line) => line switch
    {
        SessionLine => NdjsonLines.Session,
        MessageLine => NdjsonLines.Message,
        EventLine => NdjsonLines.Event,
        BadLine b => b.Kind,
        _ => "line",
    };

    private static string IdOf(ImportLine line) => line switch
    {
        SessionLine s => s.Row.Id,
        MessageLine m => m.Row.Id,
        EventLine e => e.Row.MessageId,
        BadLine b => b.Id,
        _ => "",
    };

    private Step CheckSession(WriteBatch batch, SessionLine s, HashSet<(string, string)> newSessions, Dictionary<string, string?> tenants)
    {
        var row = s.Row;
        if (context.ScopeTenant is { } scope)
        {
            if (row.Tenant is not null && row.Tenant != scope)
            {
                tenants[row.Id] = null;
                return new Step(s, Plan.Conflict, "", $"the session belongs to tenant '{row.Tenant}'; this import is confined to tenant '{scope}'.");
            }
            row.Tenant = scope;
        }
        var tk = row.TenantKey;
        tenants[row.Id] = tk;
        if (newSessions.Contains((tk, row.Id))) return new Step(s, Plan.Unchanged, tk);
        var stored = batch.Session(tk, row.Id)?.Row;
        if (stored is null)
        {
            newSessions.Add((tk, row.Id));
            return new Step(s, Plan.Insert, tk);
        }
        if (stored.Kind != row.Kind) return Conflict(s, tk, "kind", stored.Kind, row.Kind);
        if (stored.StartedAt != row.StartedAt) return Conflict(s, tk, "started_at", Timestamps.ToText(stored.StartedAt), Timestamps.ToText(row.StartedAt));
        var same = stored.Title == row.Title && stored.UserAccount == row.UserAccount && stored.Status == row.Status && stored.EndedAt == row.EndedAt &&
                   SameJson(stored.MetadataJson, row.MetadataJson);
        var markersAhead = row.AgentReadSeq > stored.AgentReadSeq || row.UserReadSeq > stored.UserReadSeq;
        return new Step(s, (!same && row.UpdatedAt > stored.UpdatedAt) || markersAhead ? Plan.Update : Plan.Unchanged, tk);
    }

    private static Step Conflict(ImportLine line, string tk, string field, string? stored, string? given) =>
        new(line, Plan.Conflict, tk, $"{field} differs from the stored one (stored {Show(stored)}, the line {Show(given)}).");

    private static string Show(string? v)
    {
        if (v is null) return "null";
        var one = v.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return one.Length > 60 ? $"'{one[..60]}…'" : $"'{one}'";
    }

    private static Step CheckMessage(WriteBatch batch, MessageLine line, Dictionary<string, string?> tenants, HashSet<(string, string)> newSessions,
        Dictionary<(string, string), MessageRow> newMessages, HashSet<(string, string, long)> seqs, HashSet<(string, string, string)> providers,
        HashSet<(string, string, string)> keys)
    {
        var m = line.Row;
        var store = batch.Store;
        if (!tenants.TryGetValue(m.SessionId, out var tk))
            return new Step(line, Plan.Conflict, "", $"no session line for session '{m.SessionId}' comes before it.");
        if (tk is null) return new Step(line, Plan.Conflict, "", $"its session '{m.SessionId}' conflicts, so it is skipped with it.");
        m.TenantKey = tk;
        var stored = newMessages.GetValueOrDefault((tk, m.Id)) ?? store.Messages.FindMessage(tk, m.Id);
        if (stored is not null)
        {
            if (newMessages.ContainsKey((tk, m.Id))) return new Step(line, Plan.Unchanged, tk, Stored: stored);
            var differs = Differs(stored, m);
            if (differs is not null) return Conflict(line, tk, differs.Value.Field, differs.Value.Stored, differs.Value.Given);
            if (m.ProviderMessageId is not null && m.ProviderMessageId != stored.ProviderMessageId)
            {
                if (stored.ProviderMessageId is not null) return Conflict(line, tk, "provider_message_id", stored.ProviderMessageId, m.ProviderMessageId);
                if (!providers.Add((tk, m.Channel, m.ProviderMessageId)) || store.Messages.FindMessagesByProvider(tk, m.ProviderMessageId, m.Channel).Count > 0)
                    return new Step(line, Plan.Conflict, tk, $"provider id '{m.ProviderMessageId}' already belongs to another {m.Channel} message.");
                return new Step(line, Plan.Update, tk, Stored: stored);
            }
            return new Step(line, Plan.Unchanged, tk, Stored: stored);
        }
        var sessionIsNew = newSessions.Contains((tk, m.SessionId));
        var session = sessionIsNew ? null : batch.Session(tk, m.SessionId);
        if (!sessionIsNew && session is null) return new Step(line, Plan.Conflict, tk, $"session '{m.SessionId}' does not exist.");
        if (!seqs.Add((tk, m.SessionId, m.SessionSeq)) ||
            (session is not null && m.SessionSeq <= session.Row.LastSeq && store.ReadMarkers.MessagesBetween(tk, m.SessionId, m.SessionSeq - 1, m.SessionSeq).Count > 0))
            return new Step(line, Plan.Conflict, tk, $"position {m.SessionSeq} of session '{m.SessionId}' holds another message.");
        if (m.IdempotencyKey is not null && (!keys.Add((tk, m.SessionId, m.IdempotencyKey)) ||
                                             (session is not null && store.Messages.FindMessageByKey(tk, m.SessionId, m.IdempotencyKey) is not null)))
            return new Step(line, Plan.Conflict, tk, $"idempotency key '{m.IdempotencyKey}' already belongs to another message of session '{m.SessionId}'.");
        if (m.ProviderMessageId is not null && (!providers.Add((tk, m.Channel, m.ProviderMessageId)) ||
                                                store.Messages.FindMessagesByProvider(tk, m.ProviderMessageId, m.Channel).Count > 0))
            return new Step(line, Plan.Conflict, tk, $"provider id '{m.ProviderMessageId}' already belongs to another {m.Channel} message.");
        newMessages[(tk, m.Id)] = m;
        return new Step(line, Plan.Insert, tk);
    }

    /// <summary>The first field that a message never changes once logged and that differs, if any.</summary>
    private static (string Field, string? Stored, string? Given)? Differs(MessageRow a, MessageRow b)
    {
        if (a.SessionId != b.SessionId) return ("session_id", a.SessionId, b.SessionId);
        if (a.SessionSeq != b.SessionSeq) return ("session_seq", a.SessionSeq.ToString(System.Globalization.CultureInfo.InvariantCulture), b.SessionSeq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (a.IdempotencyKey != b.IdempotencyKey) return ("idempotency_key", a.IdempotencyKey, b.IdempotencyKey);
        if (a.Direction != b.Direction) return ("direction", WireNames.Of(a.Direction), WireNames.Of(b.Direction));
        if (a.SenderType != b.SenderType) return ("sender_type", WireNames.Of(a.SenderType), WireNames.Of(b.SenderType));
        if (a.SenderId != b.SenderId) return ("sender_id", a.SenderId, b.SenderId);
        if (a.SenderName != b.SenderName) return ("sender_name", a.SenderName, b.SenderName);
        if (a.Channel != b.Channel) return ("channel", a.Channel, b.Channel);
        if (a.Recipient != b.Recipient) return ("recipient", a.Recipient, b.Recipient);
        if (a.Template != b.Template) return ("template", a.Template, b.Template);
        if (a.Subject != b.Subject) return ("subject", a.Subject, b.Subject);
        if (a.Content != b.Content) return ("content", a.Content, b.Content);
        if (!SameJson(a.MetadataJson, b.MetadataJson)) return ("metadata", a.MetadataJson, b.MetadataJson);
        if (a.CreatedAt != b.CreatedAt) return ("created_at", Timestamps.ToText(a.CreatedAt), Timestamps.ToText(b.CreatedAt));
        return null;
    }

    /// <summary>JSON documents compared as documents: PostgreSQL's <c>jsonb</c> gives them back with its own key order
    /// and spacing.</summary>
    private static bool SameJson(string? a, string? b) =>
        a == b || (a is not null && b is not null && System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(a), System.Text.Json.Nodes.JsonNode.Parse(b)));

    private static SessionRow NewSession(SessionRow line) => new()
    {
        Id = line.Id, Kind = line.Kind, Title = line.Title, Tenant = line.Tenant, UserAccount = line.UserAccount, Status = line.Status,
        StartedAt = line.StartedAt, EndedAt = line.EndedAt, UpdatedAt = line.UpdatedAt, MetadataJson = line.MetadataJson,
        AgentReadSeq = line.AgentReadSeq, UserReadSeq = line.UserReadSeq,
    };

    /// <summary>Takes the line's mutable fields when it is newer, and its read markers where they are ahead; true when a
    /// marker moved (the unread counts are then recounted).</summary>
    private static bool UpdateSession(SessionState state, SessionRow line)
    {
        var row = state.Row;
        if (line.UpdatedAt > row.UpdatedAt)
        {
            row.Title = line.Title;
            row.UserAccount = line.UserAccount;
            row.Status = line.Status;
            row.EndedAt = line.EndedAt;
            row.MetadataJson = line.MetadataJson;
            row.UpdatedAt = line.UpdatedAt;
        }
        var moved = line.AgentReadSeq > row.AgentReadSeq || line.UserReadSeq > row.UserReadSeq;
        row.AgentReadSeq = Math.Max(row.AgentReadSeq, line.AgentReadSeq);
        row.UserReadSeq = Math.Max(row.UserReadSeq, line.UserReadSeq);
        state.MarkImported();
        return moved;
    }

    private static void InsertMessage(WriteBatch batch, MessageRow m, SessionState session)
    {
        var store = batch.Store;
        var row = session.Row;
        store.Messages.InsertMessage(m);
        batch.Stats.Add(store.Stats, m, 1);
        if (m.SessionSeq > row.LastSeq) row.LastSeq = m.SessionSeq;
        row.MessageCount++;
        if (row.FirstMessageAt is null || m.CreatedAt < row.FirstMessageAt) row.FirstMessageAt = m.CreatedAt;
        if (row.LastMessageAt is null || m.CreatedAt > row.LastMessageAt) row.LastMessageAt = m.CreatedAt;
        var reader = Readers.ReaderOf(m.SenderType);
        if (m.SessionSeq > session.MarkerOf(reader))
        {
            if (reader == Reader.Agent) row.UnreadForAgent++;
            else row.UnreadForUser++;
        }
        batch.AddFacet(m.TenantKey, m.SessionId, WriteBatch.StatusFacet, WireNames.Of(m.Delivery.Status), 1);
        batch.AddFacet(m.TenantKey, m.SessionId, WriteBatch.ChannelFacet, m.Channel, 1);
        if (m.Template is not null) batch.AddFacet(m.TenantKey, m.SessionId, WriteBatch.TemplateFacet, m.Template, 1);
        ReportApplier.ApplyParked(batch, m, session);
        session.MarkImported();
    }

    /// <summary>An event a stored message lacks: stored as the source recorded it, and applied to the message through the
    /// lifecycle rules (a cancel only while the message can still be cancelled), which reach the same state whatever
    /// order reports arrive in (docs/lifecycle.md, rule 7).</summary>
    private static void MergeEvent(WriteBatch batch, MessageRow message, SessionState session, EventRow e)
    {
        var store = batch.Store;
        var prior = message.Delivery;
        if (e.Status == MessageStatus.Cancelled)
        {
            if (StatusRules.CanCancel(message.Delivery.Status)) StatusRules.Cancel(ref message.Delivery, e.OccurredAt);
        }
        else
        {
            StatusRules.Apply(ref message.Delivery, new Report(e.Status, e.OccurredAt, e.ErrorCode, e.ErrorMessage));
        }
        if (message.Delivery != prior)
        {
            if (message.Delivery.Status != prior.Status)
            {
                batch.AddFacet(message.TenantKey, message.SessionId, WriteBatch.StatusFacet, WireNames.Of(prior.Status), -1);
                batch.AddFacet(message.TenantKey, message.SessionId, WriteBatch.StatusFacet, WireNames.Of(message.Delivery.Status), 1);
            }
            if (e.RecordedAt > message.UpdatedAt) message.UpdatedAt = e.RecordedAt;
            store.Messages.UpdateDelivery(message);
            batch.Stats.Change(store.Stats, message, prior);
        }
        store.Reports.InsertEvent(e);
        session.MarkImported();
    }
}
