using System.Text.Json;

namespace Parley.Client;

/// <summary>One change from the events stream (docs/http-api.md, "Events stream").</summary>
/// <param name="Type"><c>message.logged</c>, <c>message.status</c>, <c>session.created</c> or <c>session.ended</c>.</param>
/// <param name="Data">The event's JSON: the message for <c>message.logged</c>; <c>{"message", "outcome"}</c> for
/// <c>message.status</c>; the session (or <c>{"id"}</c> once it is gone) for the session events.</param>
public sealed record ParleyEvent(string Type, JsonElement Data);
