using Xunit.Abstractions;
using Xunit.Sdk;

namespace Parley.Tests;

/// <summary>A theory whose arguments name engines (<see cref="TestDatabases.Sqlite"/>, <c>postgres</c>, <c>mysql</c>):
/// each case carries the trait <c>Engine</c> with every engine it names, as the per-engine suite classes do, so that
/// <c>dotnet test --filter "Engine!=postgres&amp;Engine!=mysql"</c> runs every SQLite case and no server case.</summary>
[XunitTestCaseDiscoverer("Parley.Tests.EngineTheoryDiscoverer", "Parley.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class EngineTheoryAttribute : TheoryAttribute;

/// <summary>Discovers an <see cref="EngineTheoryAttribute"/> theory one case per data row, each an <see cref="EngineTestCase"/>.</summary>
public sealed class EngineTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod,
        IAttributeInfo theoryAttribute, object[] dataRow) =>
        [new EngineTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, dataRow)];
}

/// <summary>One row of an engine theory, with the <c>Engine</c> trait of its first argument (set again after the
/// runner deserializes it, since traits are computed, not serialized).</summary>
public sealed class EngineTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public EngineTestCase()
    {
    }

    public EngineTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay defaultMethodDisplay, TestMethodDisplayOptions defaultMethodDisplayOptions,
        ITestMethod testMethod, object[] testMethodArguments)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod, testMethodArguments)
    {
    }

    protected override void Initialize()
    {
        base.Initialize();
        // Every engine the case uses: a backup from SQLite restored into PostgreSQL needs both servers' filters.
        var engines = TestMethodArguments?.OfType<string>().Where(a => a is TestDatabases.Sqlite or TestDatabases.Postgres or TestDatabases.MySql).Distinct().ToList();
        if (engines is { Count: > 0 }) Traits["Engine"] = engines;
    }
}
