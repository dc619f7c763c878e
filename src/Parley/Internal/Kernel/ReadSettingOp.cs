namespace Parley.Internal.Kernel;

/// <summary>Reads a setting of the writer's connection, in turn with the writes.</summary>
internal sealed class ReadSettingOp(string name) : WriteOp<object?>
{
    protected override object? Write(WriteBatch batch) => batch.Store.ReadSetting(name);
}
