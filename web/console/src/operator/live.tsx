/** The live view (`#/live`): the site's visitors of the last five minutes, refreshed every few
 * seconds and sortable, beside the survey feedback as it arrives (polled with `since`). */
import "./operator.css";
import { useRef, useState } from "preact/hooks";
import { ErrorBanner, duration, money } from "../components";
import { usePolled } from "../hooks";
import type { ConsolePage, PageContext } from "../pages";
import {
  channelName,
  fixed,
  mergeFeedback,
  newestAt,
  pct,
  sortVisitors,
  type Feedback,
  type LiveSort,
  type LiveVisitors,
} from "./report-data";

const VISITORS_EVERY_MS = 5_000;
const FEEDBACK_EVERY_MS = 3_000;
const SORTS: [LiveSort, string][] = [
  ["value", "Value (cart × intent)"],
  ["cart_value", "Cart value"],
  ["score", "Purchase intent"],
  ["idle_seconds", "Idle time"],
];

export function LivePage(props: { context: PageContext }) {
  return (
    <section class="live" data-kr="live-view" aria-labelledby="live-title">
      <h1 id="live-title">Live</h1>
      <div class="live-columns">
        <Visitors context={props.context} />
        <FeedbackFeed context={props.context} />
      </div>
    </section>
  );
}

function Visitors(props: { context: PageContext }) {
  const { api } = props.context;
  const [sort, setSort] = useState<LiveSort>("value");
  const [descending, setDescending] = useState(true);
  const live = usePolled(() => api.get<LiveVisitors>("/v1/visitors/live"), { intervalMs: VISITORS_EVERY_MS }, []);
  const visitors = live.data ? sortVisitors(live.data.visitors, sort, descending) : [];
  const header = (key: LiveSort, title: string) => (
    <th scope="col" class="num" aria-sort={sort === key ? (descending ? "descending" : "ascending") : "none"}>
      <button
        type="button"
        class="sort"
        data-kr="live-sort"
        data-sort={key}
        onClick={() => {
          if (sort === key) setDescending(!descending);
          else {
            setSort(key);
            setDescending(key !== "idle_seconds");
          }
        }}
      >
        {title}
      </button>
    </th>
  );
  return (
    <div class="panel live-visitors">
      <h2>Visitors of the last 5 minutes {live.data && <span class="muted">({live.data.count})</span>}</h2>
      <ErrorBanner error={live.error} onRetry={live.refresh} />
      <table class="table" data-kr="live-visitors">
        <caption>Refreshed every {VISITORS_EVERY_MS / 1000} s; sort by a column's button.</caption>
        <thead>
          <tr>
            <th scope="col">Visitor</th>
            <th scope="col">Stage</th>
            {SORTS.map(([key, title]) => header(key, title))}
            <th scope="col">Page</th>
            <th scope="col">Chat</th>
          </tr>
        </thead>
        <tbody>
          {visitors.length === 0 ? (
            <tr>
              <td colSpan={8} class="empty">
                {live.data ? "Nobody in the last five minutes." : "Loading…"}
              </td>
            </tr>
          ) : (
            visitors.map((visitor) => (
              <tr key={visitor.visitor_id} data-kr="live-visitor" data-visitor-id={visitor.visitor_id}>
                <td>{visitor.visitor_id}</td>
                <td>{visitor.stage}</td>
                <td class="num">{fixed(visitor.value, 2)}</td>
                <td class="num">{money(visitor.cart_value, visitor.currency ?? "EUR")}</td>
                <td class="num">{pct(visitor.score ?? null, 0)}</td>
                <td class="num">{duration(visitor.idle_seconds)}</td>
                <td class="page-cell">{visitor.page ?? "\u2013"}</td>
                <td>{visitor.chat_status ?? (visitor.offered ? "offered" : visitor.reason ?? "\u2013")}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

function FeedbackFeed(props: { context: PageContext }) {
  const { api } = props.context;
  const held = useRef<Feedback[]>([]);
  const [items, setItems] = useState<Feedback[]>([]);
  const feed = usePolled(
    async () => {
      const since = newestAt(held.current);
      const answer = await api.get<{ feedback: Feedback[] }>("/v1/feedback", { since, limit: 50 });
      held.current = mergeFeedback(held.current, answer.feedback);
      setItems(held.current);
      return held.current.length;
    },
    { intervalMs: FEEDBACK_EVERY_MS },
    [],
  );
  return (
    <div class="panel live-feedback">
      <h2>Feedback as it arrives</h2>
      <ErrorBanner error={feed.error} onRetry={feed.refresh} />
      <ol class="feedback" data-kr="feedback-feed" aria-live="polite">
        {items.length === 0 && <li class="empty">{feed.data === undefined ? "Loading…" : "No survey yet."}</li>}
        {items.map((item) => (
          <li key={item.chat_id} data-kr="feedback-item" data-chat-id={item.chat_id}>
            <div class="feedback-head">
              <strong>{item.agent_name ?? item.agent_id ?? "no agent"}</strong>
              <span class="muted">
                {" "}
                · {item.category ?? "no category"} · <time dateTime={item.at}>{new Date(item.at).toLocaleTimeString()}</time>
              </span>
            </div>
            <div class="feedback-scores">
              {item.csat != null && <span>CSAT {item.csat}/5</span>}
              {item.nps != null && <span>NPS {item.nps}/10</span>}
              {item.ces != null && <span>CES {item.ces}/7</span>}
              {item.preferred_channel && <span>prefers {channelName(item.preferred_channel)}</span>}
            </div>
            {item.comment && <blockquote>{item.comment}</blockquote>}
          </li>
        ))}
      </ol>
    </div>
  );
}

export const livePage: ConsolePage = {
  id: "live",
  title: "Live",
  roles: ["operator"],
  render: (context) => <LivePage context={context} />,
};
