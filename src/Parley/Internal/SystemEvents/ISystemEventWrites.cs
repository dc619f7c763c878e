namespace Parley.Internal.SystemEvents;

/// <summary>What the writer writes of system events (<see cref="Kernel.WriteStore.SystemEvents"/>).</summary>
internal interface ISystemEventWrites
{
    void InsertSystemEvent(SystemEventLevel level, string source, string name, string? detailJson, DateTimeOffset at);
}
