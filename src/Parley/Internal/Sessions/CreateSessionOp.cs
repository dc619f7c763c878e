using Parley.Internal.Kernel;
using Parley.Internal.Spool;

namespace Parley.Internal.Sessions;

/// <summary>Creates a session, or finds the stored one with the same id (result: whether it created).</summary>
internal sealed class CreateSessionOp(SessionRow row) : WriteOp<bool?>
{
    public override SpooledWrite ToSpool() => SpooledSession.Of(row);

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
