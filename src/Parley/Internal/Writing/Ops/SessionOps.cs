namespace Parley.Internal.Writing.Ops;

/// <summary>Creates a session, or finds the stored one with the same id (result: whether it created).</summary>
internal sealed class CreateSessionOp(SessionRow row) : WriteOp<bool?>
{
    public override Spooling.SpooledWrite ToSpool() => Spooling.SpooledSession.Of(row);

    // Whether the session is new cannot be told before the database has it.
    protected override bool? WhenSpooled() => null;

    protected override bool? Write(WriteBatch batch)
    {
        // The id is looked up in the new session's own tenant only: another tenant's session with the same id is
        // another session (docs/security.md, "Tenants").
        if (batch.Session(row.TenantKey, row.Id) is not null) return false;
        batch.AddSession(row);
        batch.Publish(() => new LedgerChange("session.created", row.Id, Tenant: row.Tenant));
        return true;
    }
}

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

/// <summary>Deletes a session; its messages, events and facets go with it (foreign keys cascade).</summary>
internal sealed class DeleteSessionOp(string? scope, string id) : WriteOp<bool>
{
    protected override bool Write(WriteBatch batch)
    {
        if (batch.Session(scope, id) is not { } session) return false;
        var tenantKey = session.Row.TenantKey;
        var deleted = batch.Store.DeleteSession(tenantKey, id);
        batch.DeleteSession(tenantKey, id);
        return deleted;
    }
}

/// <summary>Writes a system event.</summary>
internal sealed class SystemEventOp(SystemEventLevel level, string source, string name, string? detailJson, DateTimeOffset at) : WriteOp<bool>
{
    public override Spooling.SpooledWrite ToSpool() => new Spooling.SpooledSystemEvent(level, source, name, detailJson, at);

    protected override bool WhenSpooled() => true;

    protected override bool Write(WriteBatch batch)
    {
        batch.Store.InsertSystemEvent(level, source, name, detailJson, at);
        return true;
    }
}

/// <summary>Drops parked reports older than the configured time to live, each with a system event.</summary>
internal sealed class ExpireParkedOp : WriteOp<int>
{
    protected override int Write(WriteBatch batch)
    {
        var expired = batch.Store.ExpireParked(batch.Now - batch.ParkedReportTtl);
        foreach (var p in expired)
        {
            var detail = new System.Text.Json.Nodes.JsonObject
            {
                ["provider_message_id"] = p.ProviderMessageId,
                ["channel"] = p.Channel,
                ["status"] = WireNames.Of(p.Status),
                ["occurred_at"] = Timestamps.ToText(p.OccurredAt),
                ["received_at"] = Timestamps.ToText(p.ReceivedAt),
            };
            batch.Store.InsertSystemEvent(SystemEventLevel.Warning, "parking", "parked_report_expired", detail.ToJsonString(), batch.Now);
        }
        return expired.Count;
    }
}

/// <summary>Reads a setting of the writer's connection, in turn with the writes.</summary>
internal sealed class ReadSettingOp(string name) : WriteOp<object?>
{
    protected override object? Write(WriteBatch batch) => batch.Store.ReadSetting(name);
}
