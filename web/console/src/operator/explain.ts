/** Plain words for the decision log's values, and the fields a record has beyond the known ones. */

/** `expected_satisfaction` → "Expected satisfaction". */
export function humanKey(key: string): string {
  const words = key.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A share 0..1 as a percentage; "—" when absent. */
export function percent(value: number | null | undefined): string {
  return typeof value === "number" ? `${(value * 100).toLocaleString("nl-NL", { maximumFractionDigits: 1 })}%` : "—";
}

/** Any JSON value as short text: numbers with at most 4 decimals, objects as JSON. */
export function shownValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return value.toLocaleString("nl-NL", { maximumFractionDigits: 4 });
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** The record's fields not in `known`, in their order, as text. */
export function otherFields(record: Record<string, unknown>, known: readonly string[]): [string, string][] {
  return Object.entries(record)
    .filter(([key]) => !known.includes(key))
    .map(([key, value]) => [key, shownValue(value)]);
}

export interface RoutingRecord {
  at: string;
  outcome: string;
  strategy: string;
  reason: string;
  agent_id?: string | null;
  expected_wait_seconds?: number | null;
  queue_position?: number | null;
  candidates?: Record<string, unknown>[];
  [extra: string]: unknown;
}

/** Why the chosen candidate won, in words: the record's reason and its scores beside the next best. */
export function whyWon(record: RoutingRecord): string {
  const [winner, runnerUp] = record.candidates ?? [];
  if (record.outcome !== "assigned" || !winner) {
    const wait = record.expected_wait_seconds != null ? `, expected wait ${record.expected_wait_seconds} s` : "";
    const place = record.queue_position != null ? ` at place ${record.queue_position}` : "";
    return `${humanKey(record.outcome)}${place}: ${record.reason}${wait}.`;
  }
  const name = String(winner["agent_id"] ?? record.agent_id ?? "the winner");
  if (!runnerUp) return `${name} was the only candidate (${record.reason}).`;
  const other = String(runnerUp["agent_id"] ?? "the next best");
  const compare = ["score", "expected_satisfaction", "expected_conversion", "evidence"]
    .filter((key) => typeof winner[key] === "number" && typeof runnerUp[key] === "number")
    .map((key) => `${humanKey(key).toLowerCase()} ${shownValue(winner[key])} vs ${shownValue(runnerUp[key])}`);
  const scores = compare.length ? ` ${name} vs ${other}: ${compare.join("; ")}.` : ` Next best: ${other}.`;
  return `${name} won (${record.strategy} routing: ${record.reason}).${scores}`;
}
