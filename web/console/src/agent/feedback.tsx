/** The agent's own recent ratings and comments (GET /v1/agents/{id}/feedback), polled. */
import { ErrorBanner, Table, Tile } from "../components";
import { usePolled } from "../hooks";
import type { ConsolePage, PageContext } from "../pages";
import { agentPath } from "./presence";
import type { Feedback, FeedbackList } from "./types";

export const FEEDBACK_POLL_MS = 30_000;
export const FEEDBACK_SHOWN = 50;

/** CSAT as % of 4-5 answers, NPS as % promoters (9-10) minus % detractors (0-6), CES as the mean
 * of 1-7 (the daily report's definitions); null without answers. */
export function feedbackSummary(feedback: readonly Feedback[]): { csat: number | null; nps: number | null; ces: number | null } {
  const values = (pick: (f: Feedback) => number | null) => feedback.map(pick).filter((v): v is number => v !== null);
  const csat = values((f) => f.csat);
  const nps = values((f) => f.nps);
  const ces = values((f) => f.ces);
  const share = (list: number[], test: (v: number) => boolean) => (100 * list.filter(test).length) / list.length;
  return {
    csat: csat.length ? Math.round(share(csat, (v) => v >= 4)) : null,
    nps: nps.length ? Math.round(share(nps, (v) => v >= 9) - share(nps, (v) => v <= 6)) : null,
    ces: ces.length ? Math.round((10 * ces.reduce((a, b) => a + b, 0)) / ces.length) / 10 : null,
  };
}

function MyFeedback({ context }: { context: PageContext }) {
  const { data, error, refresh } = usePolled(
    () => context.api.get<FeedbackList>(`${agentPath(context.session.sub)}/feedback`, { limit: FEEDBACK_SHOWN }),
    { intervalMs: FEEDBACK_POLL_MS, maxMs: 120_000 },
    [context.api, context.session.sub],
  );
  const feedback = data?.feedback ?? [];
  const summary = feedbackSummary(feedback);
  const dash = (value: number | null, unit = "") => (value === null ? "–" : `${value}${unit}`);
  return (
    <section aria-labelledby="feedback-title" data-kr="agent-feedback">
      <h1 id="feedback-title">My feedback</h1>
      <p class="muted">The surveys visitors answered after your chats, newest first (the latest {FEEDBACK_SHOWN}).</p>
      <ErrorBanner error={error} onRetry={refresh} />
      <div class="tiles">
        <Tile label="Surveys" value={feedback.length} />
        <Tile label="CSAT" value={dash(summary.csat, "%")} hint="answers 4–5 of 5" />
        <Tile label="NPS" value={dash(summary.nps)} hint="promoters − detractors" />
        <Tile label="Effort (CES)" value={dash(summary.ces)} hint="mean of 1–7, lower is easier" />
      </div>
      <Table
        caption="Ratings and comments"
        rows={feedback}
        rowKey={(f) => f.chat_id}
        empty={data ? "No surveys yet." : "Loading…"}
        columns={[
          { title: "When", cell: (f) => new Date(f.at).toLocaleString("nl-NL", { dateStyle: "short", timeStyle: "short" }) },
          { title: "Category", cell: (f) => f.category ?? "–" },
          { title: "CSAT", numeric: true, cell: (f) => f.csat ?? "–" },
          { title: "NPS", numeric: true, cell: (f) => f.nps ?? "–" },
          { title: "CES", numeric: true, cell: (f) => f.ces ?? "–" },
          { title: "Preferred channel", cell: (f) => f.preferred_channel ?? "–" },
          { title: "Comment", cell: (f) => f.comment ?? "" },
        ]}
      />
    </section>
  );
}

export const feedbackPage: ConsolePage = {
  id: "feedback",
  title: "My feedback",
  roles: ["agent"],
  render: (context) => <MyFeedback context={context} />,
};
