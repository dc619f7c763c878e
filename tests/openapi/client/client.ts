// A TypeScript client generated from Parley's /openapi/v1.json (openapi-typescript, into parley.ts) calling every
// route of a real server with openapi-fetch. Compiled with tsc --strict: a document that types a field wrongly
// fails the compile here, and a server answer off the document fails the run (Prism's proxy reports it in
// sl-violations). Usage: node dist/client.js BASE_URL [STREAM_URL]: the events stream never ends, so a proxy that
// reads whole answers cannot pass it on; STREAM_URL (the server itself) serves that one call. docs/http-api.md,
// "The OpenAPI document".
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./parley.js";

type Message = components["schemas"]["Message"];
type Session = components["schemas"]["Session"];
type Problem = components["schemas"]["Problem"];

const baseUrl = process.argv[2];
if (!baseUrl) throw new Error("usage: node dist/client.js BASE_URL [STREAM_URL]");
const streamUrl = process.argv[3] ?? baseUrl;

const violations: string[] = [];
const contract: Middleware = {
  onResponse({ request, response }) {
    // An answer off the document is a failure; so is a request off it that the server accepted.
    const header = response.headers.get("sl-violations");
    const found = header ? (JSON.parse(header) as { location: string[]; severity: string | number; message: string }[]) : [];
    for (const v of found.filter((v) => (v.severity === "Error" || v.severity === 0) && (v.location[0] !== "request" || response.ok)))
      violations.push(`${request.method} ${new URL(request.url).pathname} ${response.status}: ${v.location.join(".")}: ${v.message}`);
    return response;
  },
};
const client = createClient<paths>({ baseUrl });
client.use(contract);

let checks = 0;
function check(condition: boolean, what: string): asserts condition {
  checks++;
  if (!condition) throw new Error(`failed: ${what}`);
}

const run = `ts-${Date.now().toString(36)}`;

// Sessions: create (201), repeat (200), read, list with every filter, change.
const created = await client.POST("/api/v1/sessions", {
  body: { id: `${run}-s`, kind: "live_agent", title: "Order 1042", user_account: "u-7", metadata: { plan: "pro", seats: 3 } },
});
check(created.response.status === 201 && created.data !== undefined, "createSession answers 201 with the session");
const session: Session = created.data;
const seats: unknown = session.metadata?.["seats"];
check(seats === 3, "metadata comes back as sent");
check(session.summary.message_count === 0 && session.ended_at === null, "a new session has an empty summary");
const repeat = await client.POST("/api/v1/sessions", { body: { id: `${run}-s`, title: "ignored" } });
check(repeat.response.status === 200 && repeat.data?.title === "Order 1042", "a repeated id answers the stored session");

const one = await client.GET("/api/v1/sessions/{id}", { params: { path: { id: session.id } } });
check(one.data?.kind === "live_agent", "getSession");
const page = await client.GET("/api/v1/sessions", {
  params: { query: { page: 1, per_page: 10, status: "active", kind: "live_agent", q: "order", since: "2020-01-01T00:00:00Z", until: "2100-01-01T00:00:00Z" } },
});
check(page.data !== undefined && page.data.items.some((s) => s.id === session.id) && page.data.total_pages >= 1, "listSessions filters");
const changed = await client.PATCH("/api/v1/sessions/{id}", { params: { path: { id: session.id } }, body: { title: "Order 1042 (VIP)", metadata: null } });
check(changed.data?.title === "Order 1042 (VIP)" && changed.data.metadata === null, "updateSession");

// Messages: one (a Message), a batch (a MessageBatch), narrowed by the same test as the body.
const logged = await client.POST("/api/v1/sessions/{id}/messages", {
  params: { path: { id: session.id } },
  body: { id: `${run}-m1`, direction: "outbound", channel: "sms", recipient: "+15550100", content: "Your order shipped", provider_message_id: `${run}-SM1` },
});
check(logged.response.status === 201 && logged.data !== undefined && !("messages" in logged.data), "logMessages with one message answers a Message");
const first: Message = logged.data;
check(first.status === "pending" && first.sent_at === null, "an outbound message starts pending");
const batch = await client.POST("/api/v1/sessions/{id}/messages", {
  params: { path: { id: session.id } },
  body: { messages: [{ sender_type: "user", content: "Thanks!" }, { sender_type: "agent", content: "You're welcome", template: "reply" }] },
});
check(batch.data !== undefined && "messages" in batch.data && batch.data.messages.length === 2, "logMessages with a batch answers {messages}");
const inbound = "messages" in batch.data ? batch.data.messages[0] : undefined;
check(inbound?.direction === "inbound" && inbound.status === "delivered", "a user's message is inbound and delivered");

const transcript = await client.GET("/api/v1/sessions/{id}/messages", { params: { path: { id: session.id }, query: { limit: 2, order: "asc" } } });
check(transcript.data?.items.length === 2 && typeof transcript.data.next_cursor === "string", "getTranscript pages");
const rest = await client.GET("/api/v1/sessions/{id}/messages", {
  params: { path: { id: session.id }, query: { limit: 2, cursor: transcript.data.next_cursor ?? undefined } },
});
check(rest.data?.items.length === 1 && rest.data.next_cursor === null, "the transcript's last page");

// Status reports: one, then a webhook batch with a parked report and a failing one.
const delivered = await client.POST("/api/v1/messages/{id}/status", {
  params: { path: { id: first.id } },
  body: { status: "delivered", at: "2026-11-23T10:15:30.123Z", detail: { provider: "twilio" } },
});
check(delivered.data?.outcome === "applied" && delivered.data.message?.delivered_at === "2026-11-23T10:15:30.123Z", "reportStatus applies");
const reports = await client.POST("/api/v1/status-reports", {
  body: {
    reports: [
      { provider_message_id: `${run}-SM1`, channel: "sms", status: "read" },
      { provider_message_id: `${run}-SM-later`, channel: "sms", status: "delivered" },
      { message_id: `${run}-nope`, status: "sent" },
    ],
  },
});
const results = reports.data?.results ?? [];
check(results[0]?.outcome === "applied" && results[0].message_id === first.id, "a batch report found by provider id");
check(results[1]?.parked === true && results[1].outcome === null, "a report for an unknown provider id is parked");
const problem: Problem | null | undefined = results[2]?.error;
check(problem?.status === 404, "a report for an unknown message fails alone, as a problem");

const found = await client.GET("/api/v1/messages", {
  params: { query: { status: "read", channel: "sms", recipient: "+15550100", provider_message_id: `${run}-SM1`, limit: 5, since: "2020-01-01T00:00:00Z" } },
});
check(found.data?.items.length === 1 && found.data.items[0]?.read_at !== null, "searchMessages filters");
const detail = await client.GET("/api/v1/messages/{id}", { params: { path: { id: first.id } } });
const events = detail.data?.events ?? [];
check(events.map((e) => e.status).join() === "delivered,read" && events.every((e) => e.outcome === "applied" && typeof e.id === "number"),
  `getMessage with its events: ${JSON.stringify(events)}`);

const marked = await client.POST("/api/v1/sessions/{id}/read", { params: { path: { id: session.id } }, body: { reader: "agent" } });
check(marked.data?.marked === 1, "markRead counts the user's message the agent read");

// Errors are typed problems.
const missing = await client.GET("/api/v1/sessions/{id}", { params: { path: { id: `${run}-none` } } });
check(missing.response.status === 404 && missing.error?.status === 404 && missing.error.title === "Not found", "a 404 is a Problem");
const refused = await client.GET("/api/v1/sessions", { params: { query: { per_page: 500 } } });
check(refused.response.status === 400 && refused.error?.errors?.["per_page"]?.length === 1, "a 400 names the parameter");

// The events stream, read until its first line (from the server itself: see STREAM_URL).
const direct = createClient<paths>({ baseUrl: streamUrl });
const stream = await direct.GET("/api/v1/events", { parseAs: "stream" });
check(stream.response.headers.get("content-type")?.startsWith("text/event-stream") === true, "the stream is text/event-stream");
const reader = stream.data?.getReader();
const chunk = reader ? await reader.read() : undefined;
check(chunk?.value !== undefined && new TextDecoder().decode(chunk.value).startsWith(": connected"), "streamEvents opens");
await reader?.cancel();

// Analytics: the messages logged above, in SPEC's shapes.
const stats = await client.GET("/api/v1/stats", { params: { query: { days: 1, tz: "Asia/Kathmandu" } } });
const overall = stats.data?.overall;
check(stats.data?.tz === "Asia/Kathmandu" && stats.data.relative_error === 0.01 && overall !== undefined && overall.messages >= 3
  && overall.status_counts.read >= 1 && overall.latency_ms.delivered_to_read.count >= 0 && stats.data.by_channel.length >= 1, "getStats");
const daily = await client.GET("/api/v1/stats/daily", { params: { query: { days: 3, channel: "sms" } } });
check(daily.data?.days.length === 3 && daily.data.days.every((d) => typeof d.date === "string" && d.status_counts.pending >= 0), "getDailyStats");
const errors = await client.GET("/api/v1/stats/errors", { params: { query: { days: 1 } } });
check(errors.data !== undefined && Array.isArray(errors.data.items), "getErrorStats");
const badDays = await client.GET("/api/v1/stats", { params: { query: { days: 0 } } });
check(badDays.response.status === 400 && badDays.error?.errors?.["days"]?.length === 1, "a bad days is a 400 naming it");

// Export and import: this run's session as NDJSON, imported again, every line already stored.
const exported = await client.GET("/api/v1/export", { params: { query: { format: "ndjson", session_id: session.id } }, parseAs: "text" });
const dump = exported.data;
check(typeof dump === "string" && dump.includes('"type":"trailer"') && exported.response.headers.get("content-disposition")?.startsWith("attachment") === true, "exportMessages");
const imported = await client.POST("/api/v1/import", {
  body: dump, bodySerializer: (b: string) => b, headers: { "content-type": "application/x-ndjson" },
});
check(imported.data !== undefined && imported.data.inserted === 0 && imported.data.conflicts === 0 && imported.data.unchanged > 0, "importExport");

// System and health.
const system = await client.GET("/api/v1/system/events", { params: { query: { level: "info", limit: 10 } } });
check(system.data !== undefined && Array.isArray(system.data.items), "listSystemEvents");
const schema = await client.GET("/api/v1/system/schema");
check(schema.data !== undefined && schema.data.version === schema.data.head && schema.data.drift.length === 0, "getSchemaState");
const live = await client.GET("/health/live");
check(live.data?.status === "live", "getLive");
const ready = await client.GET("/health/ready");
check(ready.data?.status === "ready" && ready.data.schema.verified, "getReady");
const metrics = await client.GET("/metrics", { parseAs: "text" });
check(metrics.data?.includes("parley_writes_total") === true, "getMetrics");

// End, then delete.
const ended = await client.POST("/api/v1/sessions/{id}/end", { params: { path: { id: session.id } } });
check(ended.data?.status === "ended" && ended.data.ended_at !== null, "endSession");
const deleted = await client.DELETE("/api/v1/sessions/{id}", { params: { path: { id: session.id } } });
check(deleted.response.status === 204, "deleteSession");

if (violations.length > 0) throw new Error(`answers off the OpenAPI document:\n${violations.join("\n")}`);
console.log(`ok: ${checks} checks, every operation called`);
