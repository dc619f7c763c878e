using System.Text.Json.Nodes;
using Parley.Internal.Kernel;
using Parley.Internal.Messages;
using Parley.Internal.Reports;
using Parley.Internal.Sessions;

namespace Parley.Internal;

/// <summary>Stored rows to the public records.</summary>
internal static class Mapping
{
    public static JsonObject? Json(string? json) => json is null ? null : JsonNode.Parse(json)?.AsObject();

    public static Message ToMessage(MessageRow m, long agentReadSeq, long userReadSeq, IReadOnlyList<MessageEvent>? events = null)
    {
        var d = m.Delivery;
        return new Message
        {
            Id = m.Id,
            SessionId = m.SessionId,
            IdempotencyKey = m.IdempotencyKey,
            Direction = m.Direction,
            SenderType = m.SenderType,
            SenderId = m.SenderId,
            SenderName = m.SenderName,
            Channel = m.Channel,
            Recipient = m.Recipient,
            Template = m.Template,
            Subject = m.Subject,
            Content = m.Content,
            Status = d.Status,
            SentAt = d.SentAt,
            DeliveredAt = d.DeliveredAt,
            ReadAt = d.ReadAt,
            FailedAt = d.FailedAt,
            CancelledAt = d.CancelledAt,
            DeliveredImplied = d.DeliveredImplied,
            ProviderMessageId = m.ProviderMessageId,
            ErrorCode = d.ErrorCode,
            ErrorMessage = d.ErrorMessage,
            Metadata = Json(m.MetadataJson),
            CreatedAt = m.CreatedAt,
            UpdatedAt = m.UpdatedAt,
            ReadByAgent = m.SenderType == SenderType.User && m.SessionSeq <= agentReadSeq,
            ReadByUser = m.SenderType != SenderType.User && m.SessionSeq <= userReadSeq,
            Events = events,
        };
    }

    public static MessageEvent ToEvent(EventRow e) => new()
    {
        Id = e.Id,
        MessageId = e.MessageId,
        Status = e.Status,
        OccurredAt = e.OccurredAt,
        RecordedAt = e.RecordedAt,
        Source = e.Source,
        ErrorCode = e.ErrorCode,
        ErrorMessage = e.ErrorMessage,
        Detail = Json(e.DetailJson),
        Applied = e.Outcome == ReportOutcome.Applied,
        Outcome = e.Outcome,
    };

    /// <summary>Builds a session from its row and its facet counts (facet, value, n).</summary>
    public static Session ToSession(SessionRow s, IEnumerable<(string Facet, string Value, long N)> facets)
    {
        var statusCounts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var channels = new SortedSet<string>(StringComparer.Ordinal);
        var templates = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (facet, value, n) in facets)
        {
            if (n <= 0) continue;
            switch (facet)
            {
                case WriteBatch.StatusFacet: statusCounts[value] = n; break;
                case WriteBatch.ChannelFacet: channels.Add(value); break;
                case WriteBatch.TemplateFacet: templates.Add(value); break;
            }
        }
        return new Session
        {
            Id = s.Id,
            Kind = s.Kind,
            Title = s.Title,
            Tenant = s.Tenant,
            UserAccount = s.UserAccount,
            Status = s.Status,
            StartedAt = s.StartedAt,
            EndedAt = s.EndedAt,
            UpdatedAt = s.UpdatedAt,
            Metadata = Json(s.MetadataJson),
            Summary = new SessionSummary
            {
                MessageCount = s.MessageCount,
                StatusCounts = statusCounts,
                ChannelsUsed = [.. channels],
                TemplatesUsed = [.. templates],
                FirstMessageAt = s.FirstMessageAt,
                LastMessageAt = s.LastMessageAt,
                UnreadForAgent = s.UnreadForAgent,
                UnreadForUser = s.UnreadForUser,
            },
        };
    }
}
