namespace Parley.Internal.Schema;

/// <summary>One engine's side of schema management: the migration lock, the history table, compiling and running
/// steps, and introspection. The rules (what to apply, what counts as drift) live in <see cref="SchemaRunner"/>;
/// each engine implements this once (SQLite: <c>SqliteSchemaEngine</c>).</summary>
internal interface ISchemaEngine : IDisposable
{
    /// <summary><c>sqlite</c>, <c>postgres</c> or <c>mysql</c>: the key of <see cref="RawSql"/> steps.</summary>
    string Engine { get; }

    /// <summary>Takes the migration lock, waiting for another holder (reported through <paramref name="waiting"/>)
    /// up to the engine's timeout. Everything until <see cref="Unlock"/> runs under it.</summary>
    void Lock(Action<string> waiting);

    /// <summary>Releases the lock, keeping (<paramref name="commit"/>) or undoing what ran under it where the engine
    /// can undo DDL.</summary>
    void Unlock(bool commit);

    /// <summary>Connects for reading only, without the migration lock (<see cref="SchemaRunner.Observe"/>), in one
    /// snapshot where the engine has one; <see cref="IDisposable.Dispose"/> disconnects.</summary>
    void Connect();

    /// <summary>Whether the history table exists, read through the connection <see cref="Lock"/> or
    /// <see cref="Connect"/> opened.</summary>
    bool HistoryExists();

    void EnsureHistory();
    IReadOnlyList<HistoryRow> ReadHistory();
    void WriteHistory(HistoryRow row);
    void DeleteHistory(int version);

    IReadOnlyList<SchemaStep> Compile(MigrationOp op, SchemaState before, SchemaState after);
    /// <summary>The SQL a step runs, for <c>parley db sql</c> and dry runs.</summary>
    IEnumerable<string> Render(SchemaStep step);
    void Execute(SchemaStep step);

    LiveSchema Introspect();

    /// <summary>The engine's spelling of a declared column type and default, to compare with <see cref="LiveColumn"/>.</summary>
    string TypeName(ColumnDef column);
    string? DefaultSql(ColumnDef column);

    void RecordSystemEvent(SystemEventLevel level, string name, string detailJson);

    /// <summary>Whether indexes keep their <see cref="IndexDef.Where"/> (MySQL/MariaDB have no partial indexes and
    /// index every row; Parley's predicates only skip NULLs, which unique indexes never compare).</summary>
    bool PartialIndexes => true;

    /// <summary>Whether DDL takes part in transactions (false on MySQL/MariaDB: each statement commits as it runs,
    /// so <see cref="SchemaRunner"/> records a failed migration's progress and resumes from it).</summary>
    bool TransactionalDdl => true;
}
