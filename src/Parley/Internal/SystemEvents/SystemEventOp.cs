using Parley.Internal.Kernel;
using Parley.Internal.Spool;

namespace Parley.Internal.SystemEvents;

/// <summary>Writes a system event.</summary>
internal sealed class SystemEventOp(SystemEventLevel level, string source, string name, string? detailJson, DateTimeOffset at) : WriteOp<bool>
{
    public override SpooledWrite ToSpool() => new SpooledSystemEvent(level, source, name, detailJson, at);

    protected override bool WhenSpooled() => true;

    protected override bool Write(WriteBatch batch)
    {
        batch.Store.SystemEvents.InsertSystemEvent(level, source, name, detailJson, at);
        return true;
    }
}
