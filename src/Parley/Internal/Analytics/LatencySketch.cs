namespace Parley.Internal.Analytics;

/// <summary>Latency histograms in logarithmic buckets (the DDSketch mapping): bucket <c>i</c> holds the values in
/// (γ^(i−1), γ^i] milliseconds with γ = (1 + α)/(1 − α), and is read back as 2γ^i/(γ + 1), which is within α of every
/// value in it. Buckets add and subtract, so histograms merge over any cells, channels and templates and stay exact
/// when a latency moves (docs/analytics.md, "Percentiles").</summary>
internal static class LatencySketch
{
    /// <summary>The relative error of every percentile Parley answers.</summary>
    public const double RelativeError = 0.01;

    /// <summary>The bucket of latencies under one millisecond (a delivery reported in the same millisecond as its
    /// send, or before it): read back as 0. Every other latency is a whole number of milliseconds, in bucket 0 or
    /// above.</summary>
    public const int Zero = -1;

    /// <summary>Buckets a row of <c>parley_stats_latency</c> holds (<c>b0</c> … <c>b31</c>): one histogram of a cell is
    /// a few rows, not hundreds, so a long window reads few rows.</summary>
    public const int BlockSize = 32;

    public static int BlockOf(int bucket) => (int)Math.Floor(bucket / (double)BlockSize);

    public const string SentToDelivered = "sent_to_delivered";
    public const string DeliveredToRead = "delivered_to_read";

    private static readonly double Gamma = (1 + RelativeError) / (1 - RelativeError);
    private static readonly double LogGamma = Math.Log(Gamma);

    public static int Bucket(double milliseconds) =>
        milliseconds < 1 ? Zero : (int)Math.Ceiling(Math.Log(milliseconds) / LogGamma - 1e-9);

    /// <summary>The largest latency bucket <paramref name="bucket"/> holds (γ^i ms; 0 for <see cref="Zero"/>).</summary>
    public static double UpperBound(int bucket) => bucket == Zero ? 0 : Math.Pow(Gamma, bucket);

    public static double Value(int bucket) => bucket == Zero ? 0 : 2 * Math.Pow(Gamma, bucket) / (Gamma + 1);

    /// <summary>The nearest-rank percentile <paramref name="q"/> (0 &lt; q ≤ 1) of a histogram whose buckets are in
    /// ascending order; null for an empty one.</summary>
    public static double? Percentile(IReadOnlyList<(int Bucket, long Count)> ascending, long total, double q)
    {
        if (total <= 0) return null;
        var rank = Math.Max(1, (long)Math.Ceiling(q * total - 1e-9));
        long seen = 0;
        foreach (var (bucket, count) in ascending)
        {
            seen += count;
            if (seen >= rank) return Value(bucket);
        }
        return Value(ascending[^1].Bucket);
    }
}
