namespace Parley.Internal.Schema;

/// <summary>Parley's schema, declared once: the ordered migrations. The live database must match what the applied
/// version declares; every engine compiles the same operations through its dialect.</summary>
internal static class ParleySchema
{
    public const string HistoryTable = "parley_schema_history";

    public static IReadOnlyList<Migration> Migrations { get; } = Build();

    private static List<Migration> Build()
    {
        List<Migration> list = [V1Core()];
        list.Add(V2UpdatedAtTriggers(SchemaState.At(list, 1)));
        list.Add(V3ApiKeys(SchemaState.At(list, 2)));
        list.Add(V4TenantNamespaces(SchemaState.At(list, 3)));
        list.Add(V5Analytics(SchemaState.At(list, 4)));
        return list;
    }

    public static int Head => Migrations[^1].Version;

    private static ColumnDef Col(string name, ColumnType type, int length = 0, bool nullable = true, DefaultValue? def = null) =>
        new(name, type, length, nullable, def);

    private static ColumnDef Req(string name, ColumnType type, int length = 0, DefaultValue? def = null) =>
        new(name, type, length, Nullable: false, def);

    /// <summary>v2: <c>updated_at</c> kept by the database for writers other than Parley's
    /// (README, "Schema management").</summary>
    private static Migration V2UpdatedAtTriggers(SchemaState v1) => Migration.Reversible(2, "updated_at triggers",
    [
        new CreateUpdatedAtTrigger(new("trg_parley_sessions_updated_at", "parley_sessions", "updated_at")),
        new CreateUpdatedAtTrigger(new("trg_parley_messages_updated_at", "parley_messages", "updated_at")),
    ], v1);

    /// <summary>v3: API keys for the server (docs/http-api.md, "Access"), stored only as keyed hashes.</summary>
    private static Migration V3ApiKeys(SchemaState v2) => Migration.Reversible(3, "api keys",
    [
        new CreateTable(new TableDef("parley_api_keys",
        [
            Req("id", ColumnType.Text, 32),
            Req("hash", ColumnType.Text, 64),
            Col("tenant", ColumnType.Text, 128),
            Req("admin", ColumnType.Boolean, def: DefaultValue.Of(false)),
            Col("name", ColumnType.Text, 128),
            Req("created_at", ColumnType.Timestamp),
            Col("revoked_at", ColumnType.Timestamp),
        ], ["id"], [])),
    ], v2);

    /// <summary>v4: ids are namespaces per tenant (docs/security.md, "Tenants"). Every row that an id names carries
    /// <c>tenant_key</c> (the session's tenant, <c>''</c> for none), and every key and foreign key includes it: two
    /// tenants may both hold session <c>chat-1</c>, message <c>m-1</c> or provider id <c>SM1</c>. A parked report's
    /// <c>tenant_key</c> is the tenant that reported it, or NULL when an unscoped caller did (it then waits for a
    /// message of any tenant). Each key leads with the id, so an unscoped caller finds an id in whichever tenant holds it
    /// through the same index.</summary>
    private static Migration V4TenantNamespaces(SchemaState v3)
    {
        var key = Req("tenant_key", ColumnType.Text, 128, DefaultValue.Of(""));
        ForeignKeyDef OldFk(string column, string table) => new([column], table, ["id"], CascadeDelete: true);
        // The id leads and tenant_key follows, in every key: a lookup by id alone (a caller not confined to a tenant)
        // uses the same index as one within a tenant, so no index is added for it.
        ForeignKeyDef NewFk(string column, string table) => new([column, "tenant_key"], table, ["id", "tenant_key"], CascadeDelete: true);
        // The backfill must not move updated_at, so the triggers that keep it are off while it runs.
        var sessionsTrigger = new UpdatedAtTrigger("trg_parley_sessions_updated_at", "parley_sessions", "updated_at");
        var messagesTrigger = new UpdatedAtTrigger("trg_parley_messages_updated_at", "parley_messages", "updated_at");
        return Migration.Reversible(4, "tenant namespaces",
        [
            new DropUpdatedAtTrigger(sessionsTrigger.Name, sessionsTrigger.Table),
            new DropUpdatedAtTrigger(messagesTrigger.Name, messagesTrigger.Table),
            new AddColumn("parley_sessions", key),
            new AddColumn("parley_session_facets", key),
            new AddColumn("parley_messages", key),
            new AddColumn("parley_message_events", key),
            new AddColumn("parley_parked_reports", Col("tenant_key", ColumnType.Text, 128)),
            // Until now every id was unique across tenants, so joining on ids alone finds each row's one session.
            new DataStep("tenant keys from sessions", 1, ctx =>
            {
                ctx.Execute("UPDATE parley_sessions SET tenant_key = tenant WHERE tenant IS NOT NULL");
                ctx.Execute("UPDATE parley_session_facets SET tenant_key = (SELECT s.tenant_key FROM parley_sessions s WHERE s.id = parley_session_facets.session_id) " +
                            "WHERE session_id IN (SELECT id FROM parley_sessions WHERE tenant IS NOT NULL)");
                ctx.Execute("UPDATE parley_messages SET tenant_key = (SELECT s.tenant_key FROM parley_sessions s WHERE s.id = parley_messages.session_id) " +
                            "WHERE session_id IN (SELECT id FROM parley_sessions WHERE tenant IS NOT NULL)");
                ctx.Execute("UPDATE parley_message_events SET tenant_key = (SELECT m.tenant_key FROM parley_messages m WHERE m.id = parley_message_events.message_id) " +
                            "WHERE message_id IN (SELECT id FROM parley_messages WHERE tenant_key <> '')");
            }, Undo: _ => { }),
            new DropForeignKey("parley_message_events", OldFk("message_id", "parley_messages")),
            new DropForeignKey("parley_messages", OldFk("session_id", "parley_sessions")),
            new DropForeignKey("parley_session_facets", OldFk("session_id", "parley_sessions")),
            new DropIndex("ux_parley_messages_id", "parley_messages"),
            new DropIndex("ux_parley_messages_session_seq", "parley_messages"),
            new DropIndex("ux_parley_messages_idempotency", "parley_messages"),
            new DropIndex("ux_parley_messages_provider", "parley_messages"),
            new DropIndex("ix_parley_message_events_message", "parley_message_events"),
            new SetPrimaryKey("parley_sessions", ["id", "tenant_key"]),
            new SetPrimaryKey("parley_session_facets", ["session_id", "tenant_key", "facet", "value"]),
            new CreateIndex(new("ux_parley_messages_tenant_id", "parley_messages", ["id", "tenant_key"], Unique: true)),
            new CreateIndex(new("ux_parley_messages_tenant_session_seq", "parley_messages", ["session_id", "tenant_key", "session_seq"], Unique: true)),
            new CreateIndex(new("ux_parley_messages_tenant_idempotency", "parley_messages", ["session_id", "tenant_key", "idempotency_key"], Unique: true, Where: "idempotency_key IS NOT NULL")),
            new CreateIndex(new("ux_parley_messages_tenant_provider", "parley_messages", ["provider_message_id", "channel", "tenant_key"], Unique: true, Where: "provider_message_id IS NOT NULL")),
            new CreateIndex(new("ix_parley_message_events_tenant_message", "parley_message_events", ["message_id", "tenant_key", "status", "occurred_at"])),
            new AddForeignKey("parley_session_facets", NewFk("session_id", "parley_sessions")),
            new AddForeignKey("parley_messages", NewFk("session_id", "parley_sessions")),
            new AddForeignKey("parley_message_events", NewFk("message_id", "parley_messages")),
            new CreateUpdatedAtTrigger(sessionsTrigger),
            new CreateUpdatedAtTrigger(messagesTrigger),
        ], v3);
    }

    /// <summary>v5: the analytics rollups (docs/analytics.md), kept in each write's own transaction: counts by cell,
    /// tenant, channel, template and current status; latency histograms; error codes; and the templates each tenant's
    /// figures name on their own. The upgrade builds them from the messages already stored, eight days at a time.</summary>
    private static Migration V5Analytics(SchemaState v4)
    {
        ColumnDef[] Dims() =>
        [
            Req("tenant_key", ColumnType.Text, 128),
            Req("grain", ColumnType.Integer),
            Req("cell", ColumnType.Integer),
            Req("channel", ColumnType.Text, 32),
            Req("template", ColumnType.Text, 128),
        ];
        var counts = new TableDef("parley_stats_counts", [.. Dims(), Req("status", ColumnType.Text, 16), Req("n", ColumnType.Integer)],
            ["tenant_key", "grain", "cell", "channel", "template", "status"], []);
        // A histogram is a few rows of 32 buckets each (b0 … b31, from bucket block × 32).
        var latency = new TableDef("parley_stats_latency",
            [.. Dims(), Req("kind", ColumnType.Text, 24), Req("block", ColumnType.Integer), .. Enumerable.Range(0, 32).Select(i => Req($"b{i}", ColumnType.Integer))],
            ["tenant_key", "grain", "cell", "channel", "template", "kind", "block"], []);
        var errors = new TableDef("parley_stats_errors", [.. Dims(), Req("error_code", ColumnType.Text, 128), Req("n", ColumnType.Integer), Req("last_at", ColumnType.Integer)],
            ["tenant_key", "grain", "cell", "channel", "template", "error_code"], []);
        var templates = new TableDef("parley_stats_templates", [Req("tenant_key", ColumnType.Text, 128), Req("template", ColumnType.Text, 128)],
            ["tenant_key", "template"], []);
        return Migration.Reversible(5, "analytics rollups",
        [
            new CreateTable(counts),
            new CreateTable(latency),
            new CreateTable(errors),
            new CreateTable(templates),
            new DataStep("rollups from stored messages", 1, ctx => Analytics.StatsRecount.Rebuild(ctx.Connection, ctx.Flavor), Undo: _ => { }),
        ], v4);
    }

    private static Migration V1Core()
    {
        var sessions = new TableDef("parley_sessions",
        [
            Req("id", ColumnType.Text, 64),
            Req("kind", ColumnType.Text, 32, DefaultValue.Of("chat")),
            Col("title", ColumnType.Text, 200),
            Col("tenant", ColumnType.Text, 128),
            Col("user_account", ColumnType.Text, 255),
            Req("status", ColumnType.Text, 16, DefaultValue.Of("active")),
            Req("started_at", ColumnType.Timestamp),
            Col("ended_at", ColumnType.Timestamp),
            Req("updated_at", ColumnType.Timestamp),
            Col("metadata", ColumnType.Json),
            Req("message_count", ColumnType.Integer, def: DefaultValue.Of(0)),
            Col("first_message_at", ColumnType.Timestamp),
            Col("last_message_at", ColumnType.Timestamp),
            Req("last_seq", ColumnType.Integer, def: DefaultValue.Of(0)),
            Req("agent_read_seq", ColumnType.Integer, def: DefaultValue.Of(0)),
            Req("user_read_seq", ColumnType.Integer, def: DefaultValue.Of(0)),
            Req("unread_for_agent", ColumnType.Integer, def: DefaultValue.Of(0)),
            Req("unread_for_user", ColumnType.Integer, def: DefaultValue.Of(0)),
        ], ["id"], []);

        // Per-session counts by current status, channel and template: the summary's status_counts,
        // channels_used and templates_used, kept in the same transaction as each write.
        var facets = new TableDef("parley_session_facets",
        [
            Req("session_id", ColumnType.Text, 64),
            Req("facet", ColumnType.Text, 16),
            Req("value", ColumnType.Text, 128),
            Req("n", ColumnType.Integer, def: DefaultValue.Of(0)),
        ], ["session_id", "facet", "value"], [new(["session_id"], "parley_sessions", ["id"], CascadeDelete: true)]);

        var messages = new TableDef("parley_messages",
        [
            Req("row_id", ColumnType.Serial),
            Req("id", ColumnType.Text, 64),
            Req("session_id", ColumnType.Text, 64),
            Req("session_seq", ColumnType.Integer),
            Col("idempotency_key", ColumnType.Text, 128),
            Req("direction", ColumnType.Text, 16),
            Req("sender_type", ColumnType.Text, 16),
            Col("sender_id", ColumnType.Text, 255),
            Col("sender_name", ColumnType.Text, 255),
            Req("channel", ColumnType.Text, 32),
            Col("recipient", ColumnType.Text, 320),
            Col("template", ColumnType.Text, 128),
            Col("subject", ColumnType.Text, 998),
            Req("content", ColumnType.LongText),
            Req("status", ColumnType.Text, 16),
            Col("sent_at", ColumnType.Timestamp),
            Col("delivered_at", ColumnType.Timestamp),
            Col("read_at", ColumnType.Timestamp),
            Col("failed_at", ColumnType.Timestamp),
            Col("cancelled_at", ColumnType.Timestamp),
            Req("sent_implied", ColumnType.Boolean, def: DefaultValue.Of(false)),
            Req("delivered_implied", ColumnType.Boolean, def: DefaultValue.Of(false)),
            Col("provider_message_id", ColumnType.Text, 255),
            Col("error_code", ColumnType.Text, 128),
            Col("error_message", ColumnType.Text, 4000),
            Col("error_at", ColumnType.Timestamp),
            Col("metadata", ColumnType.Json),
            Req("created_at", ColumnType.Timestamp),
            Req("updated_at", ColumnType.Timestamp),
        ], ["row_id"], [new(["session_id"], "parley_sessions", ["id"], CascadeDelete: true)]);

        var events = new TableDef("parley_message_events",
        [
            Req("id", ColumnType.Serial),
            Req("message_id", ColumnType.Text, 64),
            Req("status", ColumnType.Text, 16),
            Req("occurred_at", ColumnType.Timestamp),
            Req("recorded_at", ColumnType.Timestamp),
            Req("source", ColumnType.Text, 32),
            Col("error_code", ColumnType.Text, 128),
            Col("error_message", ColumnType.Text, 4000),
            Col("detail", ColumnType.Json),
            Req("applied", ColumnType.Boolean),
            Req("outcome", ColumnType.Text, 16),
        ], ["id"], [new(["message_id"], "parley_messages", ["id"], CascadeDelete: true)]);

        var parked = new TableDef("parley_parked_reports",
        [
            Req("id", ColumnType.Serial),
            Req("provider_message_id", ColumnType.Text, 255),
            Col("channel", ColumnType.Text, 32),
            Req("status", ColumnType.Text, 16),
            Req("occurred_at", ColumnType.Timestamp),
            Req("received_at", ColumnType.Timestamp),
            Req("source", ColumnType.Text, 32),
            Col("error_code", ColumnType.Text, 128),
            Col("error_message", ColumnType.Text, 4000),
            Col("detail", ColumnType.Json),
        ], ["id"], []);

        var systemEvents = new TableDef("parley_system_events",
        [
            Req("id", ColumnType.Serial),
            Req("level", ColumnType.Text, 16),
            Req("source", ColumnType.Text, 32),
            Req("event", ColumnType.Text, 64),
            Col("detail", ColumnType.Json),
            Req("at", ColumnType.Timestamp),
        ], ["id"], []);

        List<MigrationOp> up =
        [
            new CreateTable(sessions),
            new CreateIndex(new("ix_parley_sessions_updated", "parley_sessions", ["updated_at"])),
            new CreateIndex(new("ix_parley_sessions_tenant", "parley_sessions", ["tenant", "updated_at"])),
            new CreateTable(facets),
            new CreateTable(messages),
            new CreateIndex(new("ux_parley_messages_id", "parley_messages", ["id"], Unique: true)),
            new CreateIndex(new("ux_parley_messages_session_seq", "parley_messages", ["session_id", "session_seq"], Unique: true)),
            new CreateIndex(new("ux_parley_messages_idempotency", "parley_messages", ["session_id", "idempotency_key"], Unique: true, Where: "idempotency_key IS NOT NULL")),
            new CreateIndex(new("ux_parley_messages_provider", "parley_messages", ["provider_message_id", "channel"], Unique: true, Where: "provider_message_id IS NOT NULL")),
            new CreateIndex(new("ix_parley_messages_status", "parley_messages", ["status"])),
            new CreateIndex(new("ix_parley_messages_created", "parley_messages", ["created_at"])),
            new CreateIndex(new("ix_parley_messages_recipient", "parley_messages", ["recipient"], Where: "recipient IS NOT NULL")),
            new CreateTable(events),
            new CreateIndex(new("ix_parley_message_events_message", "parley_message_events", ["message_id", "status", "occurred_at"])),
            new CreateTable(parked),
            new CreateIndex(new("ix_parley_parked_reports_provider", "parley_parked_reports", ["provider_message_id"])),
            new CreateIndex(new("ix_parley_parked_reports_received", "parley_parked_reports", ["received_at"])),
            new CreateTable(systemEvents),
        ];
        List<MigrationOp> down =
        [
            new DropTable("parley_system_events"),
            new DropTable("parley_parked_reports"),
            new DropTable("parley_message_events"),
            new DropTable("parley_messages"),
            new DropTable("parley_session_facets"),
            new DropTable("parley_sessions"),
        ];
        return new Migration(1, "core ledger", up, down);
    }
}
