using Parley.Internal.Kernel;

namespace Parley.Internal.Sessions;

/// <summary>Changes a session's title and metadata, or ends it. <c>scope</c>, here and in every operation that names
/// an existing object, is the caller's tenant key, or null for a caller not confined to one (<see cref="WriteBatch.Session"/>).</summary>
internal sealed class UpdateSessionOp(string? scope, string id, Optional<string?> title, Optional<string?> metadataJson, DateTimeOffset? endAt) : WriteOp<string>
{
    protected override string Write(WriteBatch batch)
    {
        var session = batch.RequireSession(scope, id, "id");
        var row = session.Row;
        if (title.HasValue) row.Title = title.Value;
        if (metadataJson.HasValue) row.MetadataJson = metadataJson.Value;
        if (endAt is { } at && row.Status == SessionStatus.Active)
        {
            row.Status = SessionStatus.Ended;
            row.EndedAt = at;
            batch.Publish(() => new LedgerChange("session.ended", row.Id, Tenant: row.Tenant));
        }
        session.Touch(batch.Now);
        return row.TenantKey;
    }
}
