namespace Parley.Internal.Schema;

/// <summary>The schema a version declares, built by replaying migrations from empty. Drift detection compares the
/// live database with it; dialects read it to rebuild tables.</summary>
internal sealed class SchemaState
{
    private readonly List<TableDef> _tables = [];
    private readonly List<IndexDef> _indexes = [];
    private readonly List<UpdatedAtTrigger> _triggers = [];
    private readonly Dictionary<string, int> _origins = new(StringComparer.Ordinal);

    public IReadOnlyList<TableDef> Tables => _tables;
    public IReadOnlyList<IndexDef> Indexes => _indexes;
    public IReadOnlyList<UpdatedAtTrigger> Triggers => _triggers;

    /// <summary>The schema after every migration up to and including <paramref name="version"/>.</summary>
    public static SchemaState At(IReadOnlyList<Migration> migrations, int version)
    {
        var state = new SchemaState();
        foreach (var m in migrations.Where(m => m.Version <= version))
            foreach (var op in m.Up) state.Apply(op, m.Version);
        return state;
    }

    public SchemaState Clone()
    {
        var copy = new SchemaState();
        copy._tables.AddRange(_tables);
        copy._indexes.AddRange(_indexes);
        copy._triggers.AddRange(_triggers);
        foreach (var (k, v) in _origins) copy._origins[k] = v;
        return copy;
    }

    public TableDef Table(string name) =>
        _tables.FirstOrDefault(t => t.Name == name) ?? throw new InvalidOperationException($"table {name} is not declared.");

    public bool HasTable(string name) => _tables.Any(t => t.Name == name);

    public IndexDef Index(string name) =>
        _indexes.FirstOrDefault(i => i.Name == name) ?? throw new InvalidOperationException($"index {name} is not declared.");

    public UpdatedAtTrigger Trigger(string name) =>
        _triggers.FirstOrDefault(t => t.Name == name) ?? throw new InvalidOperationException($"trigger {name} is not declared.");

    public IEnumerable<IndexDef> IndexesOf(string table) => _indexes.Where(i => i.Table == table);
    public IEnumerable<UpdatedAtTrigger> TriggersOf(string table) => _triggers.Where(t => t.Table == table);

    /// <summary>The version that declared a table, column (<c>table.column</c>), index or trigger; 0 when unknown.</summary>
    public int OriginOf(string kind, string name) => _origins.GetValueOrDefault($"{kind}:{name}");

    public void Apply(MigrationOp op, int version = 0)
    {
        if (version > 0) RecordOrigins(op, version);
        switch (op)
        {
            case CreateTable c:
                if (HasTable(c.Table.Name)) throw new InvalidOperationException($"table {c.Table.Name} already exists.");
                _tables.Add(c.Table);
                break;
            case DropTable d:
                _tables.Remove(Table(d.Name));
                _indexes.RemoveAll(i => i.Table == d.Name);
                _triggers.RemoveAll(t => t.Table == d.Name);
                break;
            case AddColumn a:
                Replace(a.Table, t => t with { Columns = [.. t.Columns, a.Column] });
                break;
            case DropColumn d:
                Replace(d.Table, t => t with { Columns = [.. t.Columns.Where(c => c.Name != d.Column)] });
                _indexes.RemoveAll(i => i.Table == d.Table && i.Columns.Contains(d.Column));
                break;
            case AlterColumn a:
                Replace(a.Table, t => t with { Columns = [.. t.Columns.Select(c => c.Name == a.Column.Name ? a.Column : c)] });
                break;
            case RenameColumn r:
                Replace(r.Table, t => t with
                {
                    Columns = [.. t.Columns.Select(c => c.Name == r.From ? c with { Name = r.To } : c)],
                    PrimaryKey = [.. t.PrimaryKey.Select(n => n == r.From ? r.To : n)],
                    ForeignKeys = [.. t.ForeignKeys.Select(f => f with { Columns = [.. f.Columns.Select(n => n == r.From ? r.To : n)] })],
                });
                for (var i = 0; i < _indexes.Count; i++)
                {
                    if (_indexes[i].Table == r.Table)
                        _indexes[i] = _indexes[i] with { Columns = [.. _indexes[i].Columns.Select(n => n == r.From ? r.To : n)] };
                }
                break;
            case CreateIndex c:
                _indexes.Add(c.Index);
                break;
            case DropIndex d:
                _indexes.Remove(Index(d.Name));
                break;
            case AddForeignKey a:
                Replace(a.Table, t => t with { ForeignKeys = [.. t.ForeignKeys, a.ForeignKey] });
                break;
            case DropForeignKey d:
                Replace(d.Table, t => t with { ForeignKeys = [.. t.ForeignKeys.Where(f => f.ToString() != d.ForeignKey.ToString())] });
                break;
            case SetPrimaryKey k:
                Replace(k.Table, t => t with { PrimaryKey = k.Columns });
                break;
            case CreateUpdatedAtTrigger c:
                _triggers.Add(c.Trigger);
                break;
            case DropUpdatedAtTrigger d:
                _triggers.Remove(Trigger(d.Name));
                break;
            case RawSql or DataStep:
                break;
            default:
                throw new NotSupportedException($"{op.GetType().Name} does not describe a schema change.");
        }
    }

    private void RecordOrigins(MigrationOp op, int version)
    {
        switch (op)
        {
            case CreateTable c:
                _origins[$"table:{c.Table.Name}"] = version;
                foreach (var col in c.Table.Columns) _origins[$"column:{c.Table.Name}.{col.Name}"] = version;
                foreach (var fk in c.Table.ForeignKeys) _origins[$"fk:{c.Table.Name}:{fk}"] = version;
                break;
            case AddColumn a: _origins[$"column:{a.Table}.{a.Column.Name}"] = version; break;
            case AlterColumn a: _origins[$"column:{a.Table}.{a.Column.Name}"] = version; break;
            case RenameColumn r: _origins[$"column:{r.Table}.{r.To}"] = version; break;
            case CreateIndex c: _origins[$"index:{c.Index.Name}"] = version; break;
            case AddForeignKey a: _origins[$"fk:{a.Table}:{a.ForeignKey}"] = version; break;
            case CreateUpdatedAtTrigger c: _origins[$"trigger:{c.Trigger.Name}"] = version; break;
        }
    }

    private void Replace(string table, Func<TableDef, TableDef> change)
    {
        var i = _tables.FindIndex(t => t.Name == table);
        if (i < 0) throw new InvalidOperationException($"table {table} is not declared.");
        _tables[i] = change(_tables[i]);
    }
}
