using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Parley.Tests;

/// <summary>A log provider that keeps every entry, for tests that check what the server logs, or wait until a line
/// is logged (<see cref="WhenLogged"/>).</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly List<(Func<string, bool> Match, int Count, TaskCompletionSource Seen)> _waiters = [];

    public ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>A logger factory that writes here only, for <see cref="LedgerOptions.LoggerFactory"/>.</summary>
    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    /// <summary>Completes once <paramref name="count"/> lines whose message <paramref name="match"/> accepts have been
    /// logged, counting those logged already.</summary>
    public Task WhenLogged(Func<string, bool> match, int count = 1)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (Entries.Count(e => match(e.Message)) >= count) seen.TrySetResult();
            else _waiters.Add((match, count, seen));
        }
        return seen.Task;
    }

    public void Dispose()
    {
    }

    private void Add(string category, LogLevel level, string message, Exception? exception)
    {
        lock (_waiters)
        {
            Entries.Enqueue((category, level, message, exception));
            foreach (var waiter in _waiters.Where(w => w.Match(message) && Entries.Count(e => w.Match(e.Message)) >= w.Count).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Add(category, logLevel, formatter(state, exception), exception);
    }
}
