namespace Parley;

/// <summary>Something committed to the ledger, published after its commit to <see cref="Ledger.Subscribe"/>rs
/// (the server turns these into Server-Sent Events).</summary>
/// <param name="Type"><c>message.logged</c>, <c>message.status</c>, <c>session.created</c> or <c>session.ended</c>.</param>
/// <param name="SessionId">The session concerned.</param>
/// <param name="Message">The message as stored after the change (message events).</param>
/// <param name="Outcome">What a status report did (<c>message.status</c>).</param>
/// <param name="Tenant">The session's tenant, so a subscriber can filter.</param>
public sealed record LedgerChange(string Type, string SessionId, Message? Message = null, ReportOutcome? Outcome = null, string? Tenant = null);
