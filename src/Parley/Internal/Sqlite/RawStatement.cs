using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Parley.Internal.Sqlite;

/// <summary>A statement prepared once on the writer's connection and bound by position through SQLitePCLRaw, for the
/// statements every write runs (message insert, event insert, delivery update). Microsoft.Data.Sqlite looks each
/// named parameter up and builds a data reader on every execution; at tens of thousands of rows a second that was a
/// quarter of the writer's time. Errors surface as <see cref="SqliteException"/> with SQLite's codes, as from
/// Microsoft.Data.Sqlite.</summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;

    public RawStatement(SqliteConnection conn, string sql)
    {
        _db = conn.Handle ?? throw new InvalidOperationException("the connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _stmt));
    }

    /// <summary>Binds parameter <paramref name="index"/> (from 1).</summary>
    public RawStatement Text(int index, string? value)
    {
        // UTF-16 straight from the string, converted by SQLite without a managed copy. An empty span may pin to a
        // null pointer, which SQLite would store as NULL, so "" takes the string overload.
        Check(value switch
        {
            null => raw.sqlite3_bind_null(_stmt, index),
            "" => raw.sqlite3_bind_text(_stmt, index, value),
            _ => raw.sqlite3_bind_text16(_stmt, index, value.AsSpan()),
        });
        return this;
    }

    public RawStatement Time(int index, DateTimeOffset? value) => Text(index, Timestamps.ToText(value));

    public RawStatement Integer(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_stmt, index, value));
        return this;
    }

    /// <summary>Runs the statement to completion and resets it for the next use; returns the rows it changed.</summary>
    public int Run()
    {
        var rc = raw.sqlite3_step(_stmt);
        raw.sqlite3_reset(_stmt);
        if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW) Check(rc);
        return raw.sqlite3_changes(_db);
    }

    private void Check(int rc)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW) return;
        throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}'.", rc, raw.sqlite3_extended_errcode(_db));
    }

    public void Dispose() => _stmt.Dispose();
}
