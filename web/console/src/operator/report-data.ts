/** The operator's report, live view and staffing as the API answers them (docs/openapi.json:
 * DailyReport, Staffing, LiveVisitors, FeedbackList), and the pure steps from those answers to
 * what the pages show: funnels, chart series, table rows, sorted visitors, merged feedback. */

export interface Breakdown {
  chats: number;
  conversions: number;
  csat: number | null;
  nps: number | null;
  csat_answers: number;
  nps_answers: number;
  ces: number | null;
  ces_answers: number;
  first_contact_resolution: number | null;
  handled: number;
  mean_wait_seconds: number | null;
  service_level: number | null;
  waits: number;
  revenue: number;
}

export interface Uplift {
  estimate: number | null;
  low: number | null;
  high: number | null;
  offered_sessions: number;
  offered_conversions: number;
  holdout_sessions: number;
  holdout_conversions: number;
  significant: boolean;
  sessions_still_needed_per_group: number | null;
}

export interface DailyRow {
  date: string;
  sessions: number;
  cart_sessions: number;
  checkout_sessions: number;
  purchase_sessions: number;
  purchases: number;
  revenue: number;
  conversion_rate: number | null;
  cart_abandonment_rate: number | null;
  offers: number;
  offered_sessions: number;
  offers_accepted: number;
  chats: number;
  chats_assigned: number;
  chat_conversions: number;
  holdout_sessions: number;
  holdout_conversion_rate: number | null;
  offered_conversion_rate: number | null;
  uplift: number | null;
  uplift_interval: Uplift;
  surveys: number;
  csat: number | null;
  nps: number | null;
  ces: number | null;
  first_contact_resolution: number | null;
  median_wait_seconds: number | null;
  p90_wait_seconds: number | null;
  mean_wait_seconds: number | null;
  service_level: number | null;
  mean_handle_seconds: number | null;
  agents: Record<string, Breakdown>;
  categories: Record<string, Breakdown>;
  decisions: number;
  qualified: number;
  offers_rejected: number;
  offers_ignored: number;
  offer_acceptance_rate: number | null;
  blocked_no_consent: number;
  blocked_bot: number;
  blocked_not_qualified: number;
  blocked_outside_hours: number;
  blocked_no_agent: number;
  blocked_capped: number;
  chat_revenue: number;
  chat_conversion_rate: number | null;
  agent_categories: Record<string, Record<string, Breakdown>>;
  preferred_channel_answers: number;
  preferred_channels: Record<string, number>;
  preferred_channels_by_category: Record<string, Record<string, number>>;
  offer_policy: "rules" | "gain" | "mixed" | null;
  gain_ranked_offers: number;
  gain_mean_estimated_uplift: number | null;
  gain_offered_sessions: number;
  gain_holdout_sessions: number;
  gain_uplift: number | null;
  gain_uplift_interval: Uplift;
}

export interface DailyReport {
  site_id: string;
  from: string;
  to: string;
  timezone: string;
  currency: string;
  rows: DailyRow[];
  total: DailyRow;
}

export interface StaffingHour {
  weekday: number;
  hour: number;
  days: number;
  estimated?: boolean;
  sessions_per_hour: number;
  arrivals_per_hour: number;
  handle_seconds: number | null;
  agents_needed: number;
  open_share: number;
  open: boolean;
  expected_arrivals_if_open: number;
  agents_needed_if_open: number;
  missed: string | null;
}

export interface Staffing {
  days: number;
  weeks: number;
  first_day?: string | null;
  last_day?: string | null;
  last_hour?: number | null;
  target_share: number;
  target_seconds: number;
  concurrency: number;
  handle_seconds: number | null;
  chats_per_session: number | null;
  hours: StaffingHour[];
  peak: StaffingHour | null;
  closed_demand_share: number | null;
}

export interface LiveVisitor {
  visitor_id: string;
  session_id: string;
  stage: string;
  cart_value: number;
  currency?: string | null;
  last_at: string;
  idle_seconds: number;
  page?: string | null;
  score?: number | null;
  abandonment_risk?: number | null;
  offered: boolean;
  reason?: string | null;
  chat_id?: string | null;
  chat_status?: string | null;
  value: number;
}

export interface LiveVisitors {
  site_id: string;
  as_of: string;
  visitors: LiveVisitor[];
  count: number;
}

export interface Feedback {
  chat_id: string;
  at: string;
  csat?: number | null;
  nps?: number | null;
  ces?: number | null;
  preferred_channel?: string | null;
  comment?: string | null;
  agent_id?: string | null;
  agent_name?: string | null;
  category?: string | null;
}

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export const DASH = "\u2013";
const DAY_MS = 86_400_000;

// --------------------------------------------------------------------------------- numbers
/** A share (0..1) as a percentage. */
export function pct(share: number | null | undefined, digits = 1): string {
  return share === null || share === undefined ? DASH : `${(share * 100).toFixed(digits)}%`;
}

/** A figure with the sample it rests on: "82 (n=11)"; a dash without a sample. */
export function sampled(value: string, n: number): string {
  return n > 0 ? `${value} (n=${n})` : DASH;
}

export function fixed(value: number | null | undefined, digits = 0, signed = false): string {
  if (value === null || value === undefined) return DASH;
  const text = value.toFixed(digits);
  return signed && value > 0 ? `+${text}` : text;
}

/** Percentage points of a difference of shares: "+3.2 pp". */
export function points(share: number): string {
  const value = share * 100;
  return `${value > 0 ? "+" : value < 0 ? "\u2212" : ""}${Math.abs(value).toFixed(1)} pp`;
}

// ----------------------------------------------------------------------------------- dates
/** ISO day (YYYY-MM-DD) of a moment in the browser's time zone. */
export function isoDay(moment: Date): string {
  const month = String(moment.getMonth() + 1).padStart(2, "0");
  const day = String(moment.getDate()).padStart(2, "0");
  return `${moment.getFullYear()}-${month}-${day}`;
}

/** The default range: the `days` days up to today, today included. */
export function defaultRange(today: Date, days = 14): { from: string; to: string } {
  const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
  return { from: isoDay(start), to: isoDay(today) };
}

/** What is wrong with a range before asking the API (which says the same with a 422). */
export function rangeProblem(from: string, to: string): string | null {
  const pattern = /^\d{4}-\d{2}-\d{2}$/;
  if (!pattern.test(from)) return "From: choose a day.";
  if (!pattern.test(to)) return "To: choose a day.";
  if (from > to) return "From must not be after To.";
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days > 366) return `At most 366 days (this range has ${days}).`;
  return null;
}

// --------------------------------------------------------------------------------- funnels
export interface Step {
  label: string;
  count: number;
  /** Of the funnel's first step (0..1); null when the first step is empty. */
  share: number | null;
}

function steps(parts: [string, number][]): Step[] {
  const first = parts[0]?.[1] ?? 0;
  return parts.map(([label, count]) => ({ label, count, share: first > 0 ? count / first : null }));
}

export function shopFunnel(row: DailyRow): Step[] {
  return steps([
    ["Sessions", row.sessions],
    ["With a cart", row.cart_sessions],
    ["Reached checkout", row.checkout_sessions],
    ["Bought", row.purchase_sessions],
  ]);
}

/** The offer funnel of its own steps (decided → qualified → offered → accepted); chats visitors
 * started unprompted are not one of them. */
export function offerFunnel(row: DailyRow): Step[] {
  return steps([
    ["Decisions", row.decisions],
    ["Qualified", row.qualified],
    ["Offered", row.offers],
    ["Accepted", row.offers_accepted],
  ]);
}

export const BLOCKED_REASONS: [keyof DailyRow, string][] = [
  ["blocked_not_qualified", "not qualified"],
  ["blocked_outside_hours", "outside opening hours"],
  ["blocked_no_agent", "no agent free"],
  ["blocked_capped", "frequency cap"],
  ["blocked_no_consent", "no consent"],
  ["blocked_bot", "bot"],
];

/** Why offers were not made, largest first (reasons that never happened left out). */
export function blockedReasons(row: DailyRow): { label: string; count: number }[] {
  return BLOCKED_REASONS.map(([field, label]) => ({ label, count: Number(row[field]) || 0 }))
    .filter((reason) => reason.count > 0)
    .sort((a, b) => b.count - a.count);
}

// ----------------------------------------------------------------------------------- chart
/** uPlot's columns for conversion per day: x in epoch seconds (the day's UTC midnight), then
 * the site's conversion, the offered sessions' and the holdout's, in percent (null: no data). */
export function conversionSeries(rows: DailyRow[]): [number[], (number | null)[], (number | null)[], (number | null)[]] {
  const percent = (value: number | null) => (value === null ? null : Math.round(value * 10_000) / 100);
  return [
    rows.map((row) => Date.parse(`${row.date}T00:00:00Z`) / 1000),
    rows.map((row) => percent(row.conversion_rate)),
    rows.map((row) => percent(row.offered_conversion_rate)),
    rows.map((row) => percent(row.holdout_conversion_rate)),
  ];
}

// ---------------------------------------------------------------------------------- uplift
export function upliftSummary(uplift: Uplift): string {
  if (uplift.estimate === null || uplift.low === null || uplift.high === null) {
    return "No uplift yet: it needs offered and held-out sessions.";
  }
  const verdict = uplift.significant ? "significant" : "not significant yet";
  return `${points(uplift.estimate)} (95% interval ${points(uplift.low)} to ${points(uplift.high)}), ${verdict}`;
}

/** Under offers by expected gain, the uplift like with like: the gain policy's offers against the
 * holdout sessions it would have offered to (null while the rules choose the offers). */
export function gainUpliftSummary(row: DailyRow): string | null {
  if (row.offer_policy === null || row.offer_policy === "rules") return null;
  const like = row.gain_uplift_interval;
  const who = row.offer_policy === "gain" ? "Offers chosen by expected gain" : "Offers partly by expected gain";
  const expected =
    row.gain_mean_estimated_uplift === null ? "" : `, estimated uplift ${points(row.gain_mean_estimated_uplift)} on average`;
  const head = `${who} (${row.gain_ranked_offers.toLocaleString("en")}${expected}).`;
  if (like.estimate === null || like.low === null || like.high === null) {
    return `${head} Like with like: no holdout session the gain policy would have offered to yet.`;
  }
  return (
    `${head} Like with like: ${like.offered_conversions} of ${like.offered_sessions} gain-offered sessions bought, ` +
    `${like.holdout_conversions} of ${like.holdout_sessions} holdout sessions it would have offered to: ` +
    upliftSummary(like)
  );
}

export function stillNeeded(uplift: Uplift): string {
  const needed = uplift.sessions_still_needed_per_group;
  if (needed === null) return "Sessions still needed: cannot be told yet (no difference observed).";
  if (needed === 0) return "Enough sessions to detect this difference.";
  return `${needed.toLocaleString("en")} more sessions per group to detect this difference (5% level, 80% power).`;
}

// ----------------------------------------------------------------------------- breakdowns
export interface ServiceRow {
  key: string;
  agent: string | null;
  category: string | null;
  figures: Breakdown;
}

export function agentRows(row: DailyRow): ServiceRow[] {
  return Object.entries(row.agents).map(([agent, figures]) => ({ key: `a:${agent}`, agent, category: null, figures }));
}

export function categoryRows(row: DailyRow): ServiceRow[] {
  return Object.entries(row.categories).map(([category, figures]) => ({
    key: `c:${category}`,
    agent: null,
    category,
    figures,
  }));
}

/** The agent × category cells, by category then agent (who serves each category how). */
export function cellRows(row: DailyRow): ServiceRow[] {
  const cells: ServiceRow[] = [];
  for (const [agent, byCategory] of Object.entries(row.agent_categories ?? {})) {
    for (const [category, figures] of Object.entries(byCategory)) {
      cells.push({ key: `${agent}\u0000${category}`, agent, category, figures });
    }
  }
  return cells.sort((a, b) => (a.category ?? "").localeCompare(b.category ?? "") || (a.agent ?? "").localeCompare(b.agent ?? ""));
}

export interface ChannelShare {
  channel: string;
  count: number;
  share: number;
}

const CHANNEL_NAMES: Record<string, string> = {
  chat: "chat",
  phone: "phone",
  email: "e-mail",
  whatsapp: "WhatsApp",
  social: "social media",
  self_service: "self-service",
};

export function channelName(channel: string): string {
  return CHANNEL_NAMES[channel] ?? channel;
}

/** Channels most named first, each with its share of the answers. */
export function channelShares(counts: Record<string, number>): ChannelShare[] {
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([channel, count]) => ({ channel, count, share: total > 0 ? count / total : 0 }))
    .sort((a, b) => b.count - a.count || a.channel.localeCompare(b.channel));
}

// ------------------------------------------------------------------------------ live view
export type LiveSort = "value" | "cart_value" | "score" | "idle_seconds";

/** Visitors by `key`, highest first (idle time: shortest first), ties by the most recent. */
export function sortVisitors(visitors: readonly LiveVisitor[], key: LiveSort, descending = true): LiveVisitor[] {
  const value = (visitor: LiveVisitor): number => {
    const raw = visitor[key];
    return raw === null || raw === undefined ? -1 : Number(raw);
  };
  const direction = descending ? -1 : 1;
  return [...visitors].sort(
    (a, b) => direction * (value(a) - value(b)) || Date.parse(b.last_at) - Date.parse(a.last_at) || a.visitor_id.localeCompare(b.visitor_id),
  );
}

/** Feedback newest first without a survey twice (a poll's answer overlapping the last). */
export function mergeFeedback(held: readonly Feedback[], arrived: readonly Feedback[], keep = 100): Feedback[] {
  const seen = new Set<string>();
  const merged: Feedback[] = [];
  for (const item of [...arrived, ...held].sort((a, b) => Date.parse(b.at) - Date.parse(a.at))) {
    if (seen.has(item.chat_id)) continue;
    seen.add(item.chat_id);
    merged.push(item);
  }
  return merged.slice(0, keep);
}

/** The `since` of the next feedback poll: the newest `at` held (undefined: none yet). */
export function newestAt(held: readonly Feedback[]): string | undefined {
  return held.reduce<string | undefined>((newest, item) => (!newest || Date.parse(item.at) > Date.parse(newest) ? item.at : newest), undefined);
}

// -------------------------------------------------------------------------------- staffing
/** The plan's hours as 7 rows (Monday first) of 24. */
export function weekGrid(plan: Staffing): (StaffingHour | undefined)[][] {
  const grid: (StaffingHour | undefined)[][] = WEEKDAYS.map(() => Array.from({ length: 24 }, () => undefined));
  for (const hour of plan.hours) {
    const row = grid[hour.weekday];
    if (row && hour.hour >= 0 && hour.hour < 24) row[hour.hour] = hour;
  }
  return grid;
}

/** How strongly a cell is coloured (0..1): its shoppers online against the busiest hour's (its
 * chats, while no session was counted). */
export function heat(hour: StaffingHour, plan: Staffing): number {
  const sessions = Math.max(0, ...plan.hours.map((h) => h.sessions_per_hour));
  if (sessions > 0) return Math.min(1, hour.sessions_per_hour / sessions);
  const arrivals = Math.max(0, ...plan.hours.map((h) => h.arrivals_per_hour));
  return arrivals > 0 ? Math.min(1, hour.arrivals_per_hour / arrivals) : 0;
}
