/** The decision log: for a visitor (or one session), every `decide` with its reason, rule, scores
 * and top features (GET /v1/visitors/{id}/decisions); for a chat, every routing record with each
 * candidate's scores and why the chosen one won (GET /v1/chats/{id}/routing). Fields the API adds
 * later (a policy, a model version, an estimated uplift…) show as they come, by name. */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ErrorBanner, Table } from "../components";
import { useLoaded } from "../hooks";
import type { ConsolePage, PageContext } from "../pages";
import { humanKey, otherFields, percent, shownValue, whyWon, type RoutingRecord } from "./explain";
import "./settings.css";

export interface Feature {
  feature: string;
  value: number;
  effect: number;
}

export interface Decision {
  decision_id: string;
  session_id: string;
  at: string;
  reason: string;
  rule_id?: string | null;
  score?: number | null;
  abandonment_risk?: number | null;
  top_features: Feature[];
  qualified: boolean;
  would_have_offered: boolean;
  offer_id?: string | null;
  [extra: string]: unknown;
}


interface LiveVisitor {
  visitor_id: string;
  session_id: string;
  stage: string;
  cart_value: number;
  chat_id?: string | null;
  reason?: string | null;
}

const DECISION_FIELDS = [
  "decision_id", "session_id", "at", "reason", "rule_id", "score", "abandonment_risk",
  "top_features", "qualified", "would_have_offered", "offer_id",
];
const RECORD_FIELDS = ["at", "outcome", "strategy", "reason", "agent_id", "expected_wait_seconds", "queue_position", "candidates"];

const REASONS: Record<string, string> = {
  qualified: "Offered: a rule qualified",
  holdout: "Held back: the visitor is in the holdout (the uplift's baseline)",
  outside_hours: "Not offered: outside opening hours",
  no_agent: "Not offered: no agent free (or the wait too long)",
  capped: "Not offered: a frequency cap",
  not_qualified: "Not offered: no rule's triggers held",
  no_consent: "Not offered: no consent to track",
  bot: "Not offered: a bot",
};

const FEATURES: Record<string, string> = {
  administrative: "account and help pages viewed",
  administrative_duration: "time on account and help pages",
  informational: "information pages viewed",
  informational_duration: "time on information pages",
  product_related: "product pages viewed",
  product_related_duration: "time on product pages",
  bounce_rates: "bounce rate of the pages seen",
  exit_rates: "exit rate of the pages seen",
  page_values: "value of the pages seen",
  special_day: "closeness to a special day",
  month: "month",
  operating_systems: "operating system",
  browser: "browser",
  region: "region",
  traffic_type: "traffic source",
  visitor_type: "new or returning visitor",
  weekend: "weekend",
};

function At({ at }: { at: string }) {
  return <time dateTime={at}>{new Date(at).toLocaleString("nl-NL")}</time>;
}

/** Unknown fields as a definition list, so whatever the API adds is seen. */
function Extras({ record, known, hook }: { record: Record<string, unknown>; known: readonly string[]; hook: string }) {
  const extras = otherFields(record, known);
  if (extras.length === 0) return null;
  return (
    <dl class="facts" data-kr={hook}>
      {extras.map(([key, value]) => (
        <Fact key={key} label={humanKey(key)}>
          {value}
        </Fact>
      ))}
    </dl>
  );
}

function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

function Features({ features }: { features: Feature[] }) {
  if (features.length === 0) return <p class="muted">No features recorded (no score was needed).</p>;
  const largest = Math.max(...features.map((f) => Math.abs(f.effect)), 1e-9);
  return (
    <Table
      caption="Top features"
      hook="decision-features"
      rows={features}
      rowKey={(f) => f.feature}
      columns={[
        { title: "Feature", cell: (f) => <>{FEATURES[f.feature.toLowerCase()] ?? humanKey(f.feature)} <span class="muted">({f.feature})</span></> },
        { title: "Value", numeric: true, cell: (f) => f.value.toLocaleString("nl-NL", { maximumFractionDigits: 2 }) },
        {
          title: "Effect on the score",
          cell: (f) => (
            <>
              <span class={`effect ${f.effect >= 0 ? "up" : "down"}`} style={{ width: `${Math.round((Math.abs(f.effect) / largest) * 5)}rem` }} aria-hidden="true" />
              {f.effect >= 0 ? "raises" : "lowers"} by {Math.abs(f.effect).toLocaleString("nl-NL", { maximumSignificantDigits: 2 })}
            </>
          ),
        },
      ]}
    />
  );
}

function DecisionItem({ decision, onRouting }: { decision: Decision; onRouting(chatId: string): void }) {
  const offered = decision.reason === "qualified";
  const chatId = typeof decision["chat_id"] === "string" ? (decision["chat_id"] as string) : null;
  return (
    <article class="decision" data-kr="decision" data-reason={decision.reason} aria-label={`Decision at ${new Date(decision.at).toLocaleString("nl-NL")}`}>
      <div class="decision-head">
        <At at={decision.at} />
        <span class={`reason ${offered ? "offered" : "blocked"}`} data-kr="decision-reason">
          {REASONS[decision.reason] ?? decision.reason}
        </span>
        <code class="muted">{decision.reason}</code>
      </div>
      <dl class="facts">
        <Fact label="Session">{decision.session_id}</Fact>
        <Fact label="Rule">{decision.rule_id ?? "none"}</Fact>
        <Fact label="Purchase intent">{percent(decision.score)}</Fact>
        <Fact label="Abandonment risk">{percent(decision.abandonment_risk)}</Fact>
        <Fact label="A rule qualified">{decision.qualified ? "yes" : "no"}</Fact>
        <Fact label="Would have been offered">{decision.would_have_offered ? "yes" : "no"}</Fact>
        <Fact label="Offer">{decision.offer_id ?? "none"}</Fact>
        {chatId && (
          <Fact label="Chat">
            <button type="button" class="secondary" onClick={() => onRouting(chatId)}>
              Routing of chat {chatId}
            </button>
          </Fact>
        )}
      </dl>
      <Extras record={decision} known={[...DECISION_FIELDS, "chat_id"]} hook="decision-extra" />
      <Features features={decision.top_features} />
    </article>
  );
}

function RoutingItem({ record }: { record: RoutingRecord }) {
  const candidates = record.candidates ?? [];
  const columns = [...new Set(candidates.flatMap((c) => Object.keys(c)))].filter((key) => key !== "agent_id");
  const winnerId = record.outcome === "assigned" ? String(candidates[0]?.["agent_id"] ?? record.agent_id ?? "") : "";
  return (
    <article class="decision" data-kr="routing-record" data-outcome={record.outcome} aria-label={`Routing at ${new Date(record.at).toLocaleString("nl-NL")}`}>
      <div class="decision-head">
        <At at={record.at} />
        <span class="reason">{record.outcome}</span>
        <span>
          strategy <code>{record.strategy}</code>
        </span>
        {record.agent_id && <span>to {record.agent_id}</span>}
      </div>
      <p class="why" data-kr="routing-why">
        {whyWon(record)}
      </p>
      <Extras record={record} known={RECORD_FIELDS} hook="routing-extra" />
      {candidates.length > 0 && (
        <table class="table" data-kr="routing-candidates">
          <caption>Candidates, best first</caption>
          <thead>
            <tr>
              <th scope="col">Agent</th>
              {columns.map((key) => (
                <th scope="col" class="num" key={key}>
                  {humanKey(key)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {candidates.map((candidate, index) => {
              const id = String(candidate["agent_id"] ?? `#${index + 1}`);
              const won = id === winnerId && index === 0;
              return (
                <tr key={id} data-kr="routing-candidate" data-agent={id} data-winner={won ? "true" : undefined} class={won ? "winner" : undefined}>
                  <th scope="row">
                    {id}
                    {won && " (chosen)"}
                  </th>
                  {columns.map((key) => (
                    <td class="num" key={key}>
                      {shownValue(candidate[key])}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </article>
  );
}

function VisitorDecisions({ context, visitorId, sessionId }: { context: PageContext; visitorId: string; sessionId: string }) {
  const loaded = useLoaded(
    () =>
      context.api.get<{ decisions: Decision[] }>(`/v1/visitors/${encodeURIComponent(visitorId)}/decisions`, {
        session_id: sessionId || undefined,
        limit: 100,
      }),
    [visitorId, sessionId],
  );
  return (
    <section class="panel" aria-labelledby="decisions-title" data-kr="decision-list">
      <h2 id="decisions-title">
        Decisions of visitor {visitorId}
        {sessionId && `, session ${sessionId}`}
      </h2>
      <ErrorBanner error={loaded.error} onRetry={loaded.refresh} />
      {loaded.data === undefined && !loaded.error && <p class="boot">Loading…</p>}
      {loaded.data?.decisions.length === 0 && <p class="empty">No decisions (or they have expired).</p>}
      {loaded.data?.decisions.map((decision) => (
        <DecisionItem key={decision.decision_id} decision={decision} onRouting={(chatId) => context.navigate("decisions", "chat", chatId)} />
      ))}
    </section>
  );
}

function ChatRouting({ context, chatId }: { context: PageContext; chatId: string }) {
  const loaded = useLoaded(() => context.api.get<{ records: RoutingRecord[] }>(`/v1/chats/${encodeURIComponent(chatId)}/routing`), [chatId]);
  return (
    <section class="panel" aria-labelledby="routing-title" data-kr="routing">
      <h2 id="routing-title">Routing of chat {chatId}</h2>
      <ErrorBanner error={loaded.error} onRetry={loaded.refresh} />
      {loaded.data === undefined && !loaded.error && <p class="boot">Loading…</p>}
      {loaded.data?.records.length === 0 && <p class="empty">No routing records.</p>}
      {loaded.data?.records.map((record, index) => <RoutingItem key={`${record.at}-${index}`} record={record} />)}
    </section>
  );
}

function LivePicks({ context }: { context: PageContext }) {
  const live = useLoaded(() => context.api.get<{ visitors: LiveVisitor[] }>("/v1/visitors/live"), []);
  const visitors = live.data?.visitors ?? [];
  if (visitors.length === 0) return null;
  return (
    <section aria-labelledby="picks-title">
      <h2 id="picks-title">Visitors of the last five minutes</h2>
      <ul class="picks">
        {visitors.slice(0, 20).map((visitor) => (
          <li key={visitor.session_id}>
            <button type="button" class="secondary" data-kr="decision-pick" onClick={() => context.navigate("decisions", "visitor", visitor.visitor_id, visitor.session_id)}>
              {visitor.visitor_id} · {visitor.stage}
            </button>
            {visitor.chat_id && (
              <button type="button" class="secondary" onClick={() => context.navigate("decisions", "chat", visitor.chat_id!)}>
                chat {visitor.chat_id}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function LookupField(props: { id: string; label: string; hook: string; value: string; onValue(value: string): void }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input id={props.id} data-kr={props.hook} value={props.value} onInput={(e) => props.onValue((e.currentTarget as HTMLInputElement).value)} />
    </div>
  );
}

function DecisionLog({ context }: { context: PageContext }) {
  const [kind, first = "", second = ""] = context.params;
  const [visitor, setVisitor] = useState(kind === "visitor" ? first : "");
  const [session, setSession] = useState(kind === "visitor" ? second : "");
  const [chat, setChat] = useState(kind === "chat" ? first : "");
  useEffect(() => {
    if (kind === "visitor") (setVisitor(first), setSession(second));
    if (kind === "chat") setChat(first);
  }, [kind, first, second]);
  return (
    <div class="decision-log" data-kr="decision-log">
      <h1>Decision log</h1>
      <div class="panel">
        <form
          class="lookup"
          aria-label="Decisions of a visitor"
          onSubmit={(event) => {
            event.preventDefault();
            if (visitor.trim()) context.navigate("decisions", "visitor", visitor.trim(), ...(session.trim() ? [session.trim()] : []));
          }}
        >
          <LookupField id="lookup-visitor" label="Visitor id" hook="decision-visitor" value={visitor} onValue={setVisitor} />
          <LookupField id="lookup-session" label="Session id (optional)" hook="decision-session" value={session} onValue={setSession} />
          <button type="submit" data-kr="decision-show">
            Show decisions
          </button>
        </form>
        <form
          class="lookup"
          aria-label="Routing of a chat"
          onSubmit={(event) => {
            event.preventDefault();
            if (chat.trim()) context.navigate("decisions", "chat", chat.trim());
          }}
        >
          <LookupField id="lookup-chat" label="Chat id" hook="routing-chat" value={chat} onValue={setChat} />
          <button type="submit" data-kr="routing-show">
            Show routing
          </button>
        </form>
        <LivePicks context={context} />
      </div>
      {kind === "visitor" && first && <VisitorDecisions key={`${first}/${second}`} context={context} visitorId={first} sessionId={second} />}
      {kind === "chat" && first && <ChatRouting key={first} context={context} chatId={first} />}
    </div>
  );
}

export const decisionLogPage: ConsolePage = {
  id: "decisions",
  title: "Decision log",
  roles: ["operator"],
  render: (context) => <DecisionLog context={context} />,
};
