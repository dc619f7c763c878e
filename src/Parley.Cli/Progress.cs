using System.Diagnostics;
using Spectre.Console;

namespace Parley.Cli;

/// <summary>Progress of long work (docs/cli.md, "Progress"): a Spectre.Console bar on <b>stderr</b> when stderr is a
/// terminal; otherwise one plain status line on stderr every five seconds; nothing with <c>--quiet</c>. Never on
/// stdout, which carries data (Spectre's default console would fall back to stdout when a stream is redirected, so
/// the console here is built over stderr explicitly).</summary>
internal static class Progress
{
    private static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(5);

    public static async Task<T> RunAsync<T>(bool quiet, string what, Func<IProgress<TransferProgress>?, Task<T>> work)
    {
        if (quiet) return await work(null);
        if (Console.IsErrorRedirected) return await work(new PlainLines(what));
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Interactive = InteractionSupport.Yes,
            Ansi = AnsiSupport.Detect,
        });
        T result = default!;
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(what, maxValue: 1);
                result = await work(new Bar(task, what));
                task.StopTask();
            });
        return result;
    }

    private sealed class Bar(ProgressTask task, string what) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value)
        {
            if (value.Total is { } total and > 0)
            {
                task.MaxValue = total;
                task.Value = Math.Min(value.Done, total);
            }
            task.Description = $"{what} {value.Done:N0}{(value.Total is { } t ? $"/{t:N0}" : "")} {value.Unit}";
        }
    }

    /// <summary>A status line now and then, for logs and CI: the stopwatch only measures how long since the last one.</summary>
    private sealed class PlainLines(string what) : IProgress<TransferProgress>
    {
        private readonly Stopwatch _since = Stopwatch.StartNew();

        public void Report(TransferProgress value)
        {
            if (_since.Elapsed < PlainEvery) return;
            _since.Restart();
            Console.Error.WriteLine($"parley: {what}: {value.Done:N0}{(value.Total is { } t ? $" of {t:N0}" : "")} {value.Unit}");
        }
    }
}
