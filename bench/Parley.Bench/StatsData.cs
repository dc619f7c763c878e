namespace Parley.Bench;

/// <summary>The messages of the <c>stats</c> driver, generated straight into the database with their final delivery
/// state: spread uniformly over the 90 days ending at <c>now</c>, in <c>created_at</c> order (as a ledger fills),
/// each session holding the messages of about an hour and a half; five channels, ten templates each and a tenth of
/// the messages without one; the status mix of <see cref="StatusMix"/>. The same seeds give the same rows on every
/// engine. Session summaries (count, last sequence, first and last message) are exact; read markers, unread counts,
/// summary counts (<c>parley_session_facets</c>) and message events are not written.</summary>
internal sealed class StatsData
{
    public const int Days = 90;

    public static readonly string[] Channels = ["sms", "email", "whatsapp", "push", "web"];
    private static readonly int[] ChannelWeights = [35, 25, 20, 15, 5];

    private static readonly string[] TemplateNames = ["otp", "reminder", "receipt", "shipping", "welcome", "promo", "survey", "alert", "password_reset", "digest"];

    /// <summary>Final statuses, in percent.</summary>
    public static readonly (string Status, int Percent)[] StatusMix =
        [("delivered", 52), ("read", 20), ("sent", 10), ("failed", 9), ("pending", 3), ("sending", 2), ("cancelled", 4)];

    // Twenty error codes, each of the channels that report it.
    private static readonly Dictionary<string, (string Code, string Message)[]> Errors = new()
    {
        ["sms"] =
        [
            ("30003", "Unreachable destination handset"), ("30005", "Unknown destination handset"), ("30006", "Landline or unreachable carrier"),
            ("30007", "Message filtered by the carrier"), ("30008", "Unknown error from the carrier"), ("30004", "Message blocked by the recipient"),
            ("21610", "Recipient has unsubscribed (STOP)"), ("21211", "Invalid 'To' phone number"),
        ],
        ["whatsapp"] =
        [
            ("63016", "Outside the 24-hour customer service window; use a template"), ("63018", "Rate limit exceeded for the WhatsApp sender"),
            ("63003", "The channel could not find the To address"),
        ],
        ["email"] = [("550", "Mailbox unavailable"), ("552", "Mailbox full"), ("554", "Rejected as spam"), ("421", "Service not available, try again later")],
        ["push"] = [("push_unregistered", "The device token is no longer registered"), ("push_invalid_token", "Invalid device token"), ("push_rate_limited", "Too many pushes to this device")],
        ["web"] = [("web_timeout", "The browser did not acknowledge in time"), ("web_session_closed", "The visitor's session was closed")],
    };

    private static readonly string Filler =
        "Hi Alex, this is a message from Parley Demo Store about your recent order #4815162342. Your parcel left our warehouse " +
        "this morning and is expected on Thursday between 9:00 and 13:00. Track it at https://example.com/t/8f3k2 or reply HELP " +
        "for assistance. Reply STOP to opt out of these messages. Thank you for shopping with us and have a great day ahead!!";

    private static readonly string[] Contents = [.. Enumerable.Range(0, 281).Select(n => Filler[..Math.Min(n, Filler.Length)])];

    private readonly long _start;
    private readonly long _span;
    private readonly double[] _channelCdf = Cdf(ChannelWeights);
    private readonly double[] _templateCdf = Cdf([.. Enumerable.Range(1, TemplateNames.Length).Select(k => 1.0 / k)]);

    public StatsData(int messages, DateTimeOffset now)
    {
        Messages = messages;
        Now = now.ToUnixTimeMilliseconds();
        _span = Days * 86_400_000L;
        _start = Now - _span;
        SessionCount = Math.Clamp(messages / 100, 1, 100_000);
        Sessions = new SessionSummary[SessionCount];
        // First pass, over the same stream as the messages: the sessions' summaries, written before their messages.
        var order = new Random(1);
        for (long i = 0; i < messages; i++)
        {
            var (at, s) = Place(order, i);
            ref var x = ref Sessions[s];
            if (x.Count == 0) x.First = at;
            x.Count++;
            x.Last = at;
        }
    }

    public int Messages { get; }
    public long Now { get; }
    public int SessionCount { get; }
    public SessionSummary[] Sessions { get; }

    public static string SessionId(int s) => $"notify-{s:D6}";

    public struct SessionSummary
    {
        public long Count;
        public long First;
        public long Last;
    }

    /// <summary>One message's columns (times in Unix milliseconds); one instance, refilled for each message.</summary>
    public sealed class Row
    {
        public string Id = "";
        public string Session = "";
        public long Seq;
        public string Channel = "";
        public string Recipient = "";
        public string? Template;
        public string? Subject;
        public string Content = "";
        public string Status = "";
        public long Created;
        public long Updated;
        public long? Sent;
        public long? Delivered;
        public long? Read;
        public long? Failed;
        public long? Cancelled;
        public string? ProviderId;
        public string? ErrorCode;
        public string? ErrorMessage;
        public long? ErrorAt;
    }

    /// <summary>Every message, in <c>created_at</c> order; <paramref name="each"/> sees the same <see cref="Row"/> refilled.</summary>
    public void Generate(Action<Row> each)
    {
        var order = new Random(1);
        var rng = new Random(2);
        var seq = new long[SessionCount];
        var row = new Row();
        for (long i = 0; i < Messages; i++)
        {
            var (at, s) = Place(order, i);
            row.Id = Ulid.NewUlid(DateTimeOffset.FromUnixTimeMilliseconds(at)).ToString();
            row.Session = SessionId(s);
            row.Seq = ++seq[s];
            var c = Pick(rng, _channelCdf);
            row.Channel = Channels[c];
            row.Template = rng.Next(10) == 0 ? null : $"{row.Channel}_{TemplateNames[Pick(rng, _templateCdf)]}";
            row.Recipient = Recipient(c, rng.Next(2_000_000));
            row.Subject = c == 1 ? "Your order is on its way" : null;
            row.Content = Contents[100 + rng.Next(181)];
            row.Created = at;
            row.Sent = row.Delivered = row.Read = row.Failed = row.Cancelled = row.ErrorAt = null;
            row.ErrorCode = row.ErrorMessage = row.ProviderId = null;

            var p = rng.Next(100);
            var status = StatusMix[0].Status;
            foreach (var (name, percent) in StatusMix)
            {
                if (p < percent)
                {
                    status = name;
                    break;
                }
                p -= percent;
            }
            long Sent() => at + 200 + rng.Next(2801);
            switch (status)
            {
                case "sent":
                    row.Sent = Sent();
                    break;
                case "delivered" or "read":
                    row.Sent = Sent();
                    row.Delivered = row.Sent + LogNormal(rng, 3_000, 0.8);
                    if (status == "read") row.Read = row.Delivered + LogNormal(rng, 600_000, 1.2);
                    break;
                case "failed":
                    // Most failures come back from the provider after the send; some are refused before it.
                    if (rng.Next(10) < 6)
                    {
                        row.Sent = Sent();
                        row.Failed = row.Sent + LogNormal(rng, 5_000, 1.0);
                    }
                    else
                    {
                        row.Failed = at + 300 + rng.Next(4701);
                    }
                    var codes = Errors[row.Channel];
                    (row.ErrorCode, row.ErrorMessage) = codes[Math.Min(codes.Length - 1, (int)(codes.Length * Math.Pow(rng.NextDouble(), 1.7)))];
                    row.ErrorAt = row.Failed;
                    break;
                case "cancelled":
                    row.Cancelled = at + 1_000 + rng.Next(59_001);
                    break;
            }
            // The newest messages have not got as far yet: nothing happens after now.
            if (row.Read > Now) (row.Read, status) = (null, "delivered");
            if (row.Delivered > Now) (row.Delivered, status) = (null, "sent");
            if (row.Sent > Now) (row.Sent, status, row.Failed, row.ErrorCode, row.ErrorMessage, row.ErrorAt) = (null, "sending", null, null, null, null);
            if (row.Failed > Now) row.Failed = row.ErrorAt = Now;
            if (row.Cancelled > Now) row.Cancelled = Now;
            row.Status = status;
            if (row.Sent is not null) row.ProviderId = ProviderId(c, i);
            row.Updated = Math.Max(at, Math.Max(row.Read ?? row.Delivered ?? row.Sent ?? 0, Math.Max(row.Failed ?? 0, row.Cancelled ?? 0)));
            each(row);
        }
    }

    /// <summary>The <paramref name="i"/>th message's time (uniform, in order) and session (one of the ~65 open around it).</summary>
    private (long At, int Session) Place(Random order, long i)
    {
        var at = _start + (long)(_span * ((i + order.NextDouble()) / Messages));
        var s = (int)Math.Clamp(i * SessionCount / Messages + order.Next(-32, 33), 0, SessionCount - 1);
        return (Math.Min(at, Now - 1), s);
    }

    private static string Recipient(int channel, int k) => channel switch
    {
        0 or 2 => Workload.Recipient(k),
        1 => $"customer{k}@example.com",
        3 => $"fcm:{(uint)(k * 2_654_435_761L):x8}{k:x6}",
        _ => $"visitor-{k}",
    };

    private static string ProviderId(int channel, long i)
    {
        var h = (ulong)i * 0x9E3779B97F4A7C15UL;
        return channel switch
        {
            0 => $"SM{h:x16}{i:x8}",
            1 => $"<{h:x16}.{i:x}@mail.example.net>",
            2 => $"wamid.{h:X16}{i:X8}",
            3 => $"projects/demo/messages/{h:x16}{i:x}",
            _ => $"web-{h:x16}{i:x}",
        };
    }

    private static long LogNormal(Random rng, double median, double sigma)
    {
        // Box–Muller.
        var z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        return (long)(median * Math.Exp(sigma * z));
    }

    private static double[] Cdf(IReadOnlyList<double> weights)
    {
        var total = weights.Sum();
        var cdf = new double[weights.Count];
        double sum = 0;
        for (var i = 0; i < cdf.Length; i++) cdf[i] = (sum += weights[i]) / total;
        return cdf;
    }

    private static double[] Cdf(int[] weights) => Cdf([.. weights.Select(w => (double)w)]);

    private static int Pick(Random rng, double[] cdf)
    {
        var u = rng.NextDouble();
        for (var i = 0; i < cdf.Length - 1; i++)
        {
            if (u < cdf[i]) return i;
        }
        return cdf.Length - 1;
    }
}
