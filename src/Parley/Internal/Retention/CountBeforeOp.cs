using Parley.Internal.Kernel;

namespace Parley.Internal.Retention;

/// <summary>How many messages retention would delete (<c>--dry-run</c>).</summary>
internal sealed class CountBeforeOp(DateTimeOffset cutoff) : WriteOp<long>
{
    protected override long Write(WriteBatch batch) => batch.Store.Retention.CountBefore(cutoff);
}
