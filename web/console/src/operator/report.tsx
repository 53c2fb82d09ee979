/** The operator's report for a range of days (`#/report/<from>/<to>`): key figures, the shop's
 * and the offers' funnels, conversion per day, the uplift with its interval, revenue attributed
 * to chats, service per agent, category and agent × category with samples, the preferred
 * channels, the CSV download and the nightly HTML page of a day. */
import "./operator.css";
import { useEffect, useMemo, useState } from "preact/hooks";
import uPlot from "uplot";
import { Chart, type ChartOptions } from "../chart";
import { ErrorBanner, Table, Tile, money, type Column } from "../components";
import { useLoaded } from "../hooks";
import type { ConsolePage, PageContext } from "../pages";
import { DailyHtml } from "./daily-html";
import { saveText } from "./download";
import {
  agentRows,
  blockedReasons,
  categoryRows,
  cellRows,
  channelName,
  channelShares,
  conversionSeries,
  defaultRange,
  fixed,
  gainUpliftSummary,
  offerFunnel,
  pct,
  rangeProblem,
  sampled,
  shopFunnel,
  stillNeeded,
  upliftSummary,
  type DailyReport,
  type DailyRow,
  type ServiceRow,
  type Step,
  type Uplift,
} from "./report-data";

const DAY_SECONDS = 86_400;

export function ReportPage(props: { context: PageContext }) {
  const { context } = props;
  const [first, last] = context.params;
  const range = first && last ? { from: first, to: last } : defaultRange(new Date());
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    setFrom(range.from);
    setTo(range.to);
  }, [range.from, range.to]);
  const report = useLoaded(
    () => context.api.get<DailyReport>("/v1/reports/daily", { from: range.from, to: range.to }),
    [range.from, range.to],
  );

  const show = (event: Event) => {
    event.preventDefault();
    const wrong = rangeProblem(from, to);
    setProblem(wrong);
    if (!wrong) context.navigate("report", from, to);
  };
  const download = async () => {
    try {
      const csv = await context.api.text("/v1/reports/daily.csv", { from: range.from, to: range.to });
      saveText(csv, `klantreis-${range.from}-${range.to}.csv`, "text/csv");
    } catch (error) {
      setProblem(null);
      setDownloadError(error);
    }
  };
  const [downloadError, setDownloadError] = useState<unknown>(null);

  return (
    <section class="report" data-kr="report" aria-labelledby="report-title">
      <h1 id="report-title">Report</h1>
      <form class="report-range" onSubmit={show} noValidate>
        <label>
          From <input type="date" data-kr="report-from" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          To <input type="date" data-kr="report-to" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
        <button type="submit" data-kr="report-show">
          Show
        </button>
        <button type="button" class="secondary" data-kr="report-csv" onClick={() => void download()}>
          Download CSV
        </button>
        {problem && (
          <span class="field-error" role="alert">
            {problem}
          </span>
        )}
      </form>
      <ErrorBanner error={report.error} onRetry={report.refresh} />
      <ErrorBanner error={downloadError} />
      {report.data ? <ReportBody report={report.data} /> : !report.error && <p class="empty">Loading the report…</p>}
      <DailyHtml context={context} day={range.to} />
    </section>
  );
}

function ReportBody(props: { report: DailyReport }) {
  const { report } = props;
  const total = report.total;
  const currency = report.currency;
  return (
    <div data-kr="report-body" data-from={report.from} data-to={report.to}>
      <p class="muted">
        {report.from} to {report.to}, the site's days ({report.timezone}); money in {currency}.
      </p>
      <Tiles total={total} currency={currency} />
      <div class="report-pair">
        <Funnel title="Shop funnel" steps={shopFunnel(total)} hook="shop-funnel" />
        <OfferFunnel total={total} />
      </div>
      <ConversionChart rows={report.rows} />
      <UpliftPanel uplift={total.uplift_interval} gain={gainUpliftSummary(total)} />
      <Service total={total} currency={currency} />
      <Channels total={total} />
    </div>
  );
}

function Tiles(props: { total: DailyRow; currency: string }) {
  const { total, currency } = props;
  return (
    <div class="tiles" data-kr="report-tiles">
      <Tile label="Sessions" value={total.sessions.toLocaleString("en")} />
      <Tile label="Conversion" value={pct(total.conversion_rate)} hint={`${total.purchase_sessions} of ${total.sessions} sessions bought`} hook="tile-conversion" />
      <Tile label="Revenue" value={money(total.revenue, currency)} />
      <Tile label="Chats" value={total.chats} hint={`${total.chat_conversions} converted (${pct(total.chat_conversion_rate, 0)})`} />
      <Tile label="Revenue attributed to chats" value={money(total.chat_revenue, currency)} hook="chat-revenue" />
      <Tile label="Surveys" value={total.surveys} hook="tile-surveys" />
      <Tile label="CSAT (answers 4-5)" value={total.csat === null ? "\u2013" : `${fixed(total.csat)}%`} hook="tile-csat" />
      <Tile label="NPS" value={fixed(total.nps, 0, true)} />
      <Tile label="CES (1-7, lower is easier)" value={fixed(total.ces, 1)} />
      <Tile label="First-contact resolution" value={pct(total.first_contact_resolution, 0)} />
      <Tile label="Median wait" value={total.median_wait_seconds === null ? "\u2013" : `${fixed(total.median_wait_seconds)} s`} hint={`${pct(total.service_level, 0)} within 30 s`} />
      <Tile label="Uplift" value={total.uplift === null ? "\u2013" : `${fixed(total.uplift * 100, 1, true)} pp`} hook="tile-uplift" />
    </div>
  );
}

function Funnel(props: { title: string; steps: Step[]; hook: string; children?: preact.ComponentChildren }) {
  return (
    <div class="panel funnel" data-kr={props.hook}>
      <h2>{props.title}</h2>
      <ol class="funnel-steps">
        {props.steps.map((step) => (
          <li key={step.label} data-kr="funnel-step" data-step={step.label}>
            <span class="funnel-label">{step.label}</span>
            <span class="funnel-bar" aria-hidden="true">
              <span class="funnel-fill" style={{ width: `${Math.round((step.share ?? 0) * 100)}%` }} />
            </span>
            <span class="funnel-count">
              {step.count.toLocaleString("en")} <span class="muted">({pct(step.share, 0)})</span>
            </span>
          </li>
        ))}
      </ol>
      {props.children}
    </div>
  );
}

function OfferFunnel(props: { total: DailyRow }) {
  const { total } = props;
  const blocked = blockedReasons(total);
  return (
    <Funnel title="Offer funnel" steps={offerFunnel(total)} hook="offer-funnel">
      <p data-kr="offer-answers">
        Accepted {total.offers_accepted}, rejected {total.offers_rejected}, ignored {total.offers_ignored} of{" "}
        {total.offers} offers ({pct(total.offer_acceptance_rate, 0)} accepted).
      </p>
      <h3>Not offered, because</h3>
      {blocked.length === 0 ? (
        <p class="muted">No decision was blocked.</p>
      ) : (
        <ul class="blocked" data-kr="blocked-reasons">
          {blocked.map((reason) => (
            <li key={reason.label}>
              {reason.label}: {reason.count.toLocaleString("en")}
            </li>
          ))}
        </ul>
      )}
      <p class="muted">Chats in all (offered or started by visitors themselves): {total.chats}.</p>
    </Funnel>
  );
}

function ConversionChart(props: { rows: DailyRow[] }) {
  const data = useMemo(() => conversionSeries(props.rows), [props.rows]);
  const days = data[0];
  const first = days[0] ?? 0;
  const last = days[days.length - 1] ?? first;
  const options = useMemo<ChartOptions>(
    () => ({
      height: 220,
      // The days are the site's, placed at UTC midnight: read them back in UTC, whatever the
      // browser's zone.
      tzDate: (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      // Half a day either side of the range, and 0% at the bottom: a single day is no range to
      // scale to (uPlot would stretch it over years).
      scales: {
        x: { time: true, auto: false, range: [first - DAY_SECONDS / 2, last + DAY_SECONDS / 2] },
        y: { range: (_plot, _min, max) => [0, Math.max(1, (max ?? 0) * 1.15)] },
      },
      axes: [{}, { label: "conversion %", size: 60 }],
      series: [
        {},
        { label: "all sessions", stroke: "#1f5fbf", width: 2, spanGaps: true },
        { label: "offered", stroke: "#1d6b3a", width: 2, spanGaps: true },
        { label: "holdout", stroke: "#8a4b00", width: 2, dash: [6, 4], spanGaps: true },
      ],
    }),
    [first, last],
  );
  return (
    <div class="panel" data-kr="conversion-chart">
      <h2>Conversion per day</h2>
      <Chart options={options} data={data} label="Conversion per day: all sessions, offered sessions and the holdout, in percent" />
      <details>
        <summary>The figures</summary>
        <Table
          caption="Conversion per day"
          rows={props.rows}
          rowKey={(row) => row.date}
          columns={[
            { title: "Day", cell: (row) => row.date },
            { title: "Sessions", cell: (row) => row.sessions, numeric: true },
            { title: "Conversion", cell: (row) => pct(row.conversion_rate), numeric: true },
            { title: "Offered", cell: (row) => pct(row.offered_conversion_rate), numeric: true },
            { title: "Holdout", cell: (row) => pct(row.holdout_conversion_rate), numeric: true },
          ]}
        />
      </details>
    </div>
  );
}

function UpliftPanel(props: { uplift: Uplift; gain: string | null }) {
  const { uplift, gain } = props;
  const span = Math.max(0.01, Math.abs(uplift.low ?? 0), Math.abs(uplift.high ?? 0));
  const at = (value: number) => `${50 + (value / span) * 48}%`;
  return (
    <div class="panel" data-kr="uplift">
      <h2>Uplift of proactive chat</h2>
      <p data-kr="uplift-summary">{upliftSummary(uplift)}</p>
      {uplift.estimate !== null && uplift.low !== null && uplift.high !== null && (
        <div class="interval" aria-hidden="true">
          <span class="interval-zero" />
          <span class="interval-range" style={{ left: at(uplift.low), width: `${((uplift.high - uplift.low) / span) * 48}%` }} />
          <span class="interval-point" style={{ left: at(uplift.estimate) }} />
        </div>
      )}
      <p>
        Offered: {uplift.offered_conversions} of {uplift.offered_sessions} sessions bought; holdout:{" "}
        {uplift.holdout_conversions} of {uplift.holdout_sessions}.
      </p>
      <p data-kr="uplift-needed">{stillNeeded(uplift)}</p>
      {gain !== null && <p data-kr="uplift-gain">{gain}</p>}
    </div>
  );
}

function serviceColumns(currency: string, first: Column<ServiceRow>[]): Column<ServiceRow>[] {
  return [
    ...first,
    { title: "Chats", cell: (row) => row.figures.chats, numeric: true },
    { title: "Conversions", cell: (row) => row.figures.conversions, numeric: true },
    { title: "CSAT", cell: (row) => sampled(`${fixed(row.figures.csat)}%`, row.figures.csat_answers), numeric: true },
    { title: "NPS", cell: (row) => sampled(fixed(row.figures.nps, 0, true), row.figures.nps_answers), numeric: true },
    { title: "CES", cell: (row) => sampled(fixed(row.figures.ces, 1), row.figures.ces_answers), numeric: true },
    {
      title: "First-contact resolution",
      cell: (row) => sampled(pct(row.figures.first_contact_resolution, 0), row.figures.handled),
      numeric: true,
    },
    {
      title: "Mean wait",
      cell: (row) => sampled(`${fixed(row.figures.mean_wait_seconds)} s`, row.figures.waits),
      numeric: true,
    },
    { title: "Revenue", cell: (row) => money(row.figures.revenue, currency), numeric: true },
  ];
}

function Service(props: { total: DailyRow; currency: string }) {
  const { total, currency } = props;
  const agent: Column<ServiceRow> = { title: "Agent", cell: (row) => row.agent };
  const category: Column<ServiceRow> = { title: "Category", cell: (row) => (row.category === "*" ? "(none)" : row.category) };
  return (
    <div class="panel service">
      <h2>Service per agent and category</h2>
      <p class="muted">Each figure with the number of answers or chats it rests on (n).</p>
      <Table caption="Per agent" hook="service-agents" rows={agentRows(total)} rowKey={(row) => row.key} columns={serviceColumns(currency, [agent])} empty="No chats in this range." />
      <Table caption="Per category" hook="service-categories" rows={categoryRows(total)} rowKey={(row) => row.key} columns={serviceColumns(currency, [category])} empty="No chats in this range." />
      <Table
        caption="Per agent and category"
        hook="service-agent-categories"
        rows={cellRows(total)}
        rowKey={(row) => row.key}
        columns={serviceColumns(currency, [category, agent])}
        empty="No chats in this range."
      />
    </div>
  );
}

function Channels(props: { total: DailyRow }) {
  const { total } = props;
  const overall = channelShares(total.preferred_channels ?? {});
  const byCategory = Object.entries(total.preferred_channels_by_category ?? {});
  return (
    <div class="panel" data-kr="preferred-channels">
      <h2>Preferred channels</h2>
      {overall.length === 0 ? (
        <p class="muted">No survey named a preferred channel in this range.</p>
      ) : (
        <>
          <p class="muted">{total.preferred_channel_answers} surveys named the channel the shopper prefers.</p>
          <ol class="funnel-steps">
            {overall.map((item) => (
              <li key={item.channel} data-kr="channel" data-channel={item.channel}>
                <span class="funnel-label">{channelName(item.channel)}</span>
                <span class="funnel-bar" aria-hidden="true">
                  <span class="funnel-fill alt" style={{ width: `${Math.round(item.share * 100)}%` }} />
                </span>
                <span class="funnel-count">
                  {item.count} <span class="muted">({pct(item.share, 0)})</span>
                </span>
              </li>
            ))}
          </ol>
          <Table
            caption="Per category"
            hook="preferred-channels-by-category"
            rows={byCategory}
            rowKey={([name]) => name}
            columns={[
              { title: "Category", cell: ([name]) => (name === "*" ? "(none)" : name) },
              {
                title: "Channels named",
                cell: ([, counts]) =>
                  channelShares(counts)
                    .map((item) => `${channelName(item.channel)} ${item.count}`)
                    .join(", "),
              },
            ]}
          />
        </>
      )}
    </div>
  );
}

export const reportPage: ConsolePage = {
  id: "report",
  title: "Report",
  roles: ["operator"],
  render: (context) => <ReportPage context={context} />,
};
