/** The delivery queue: events wait here (mirrored to localStorage) until the API took them. */
import type { TrackedEvent } from "./events";

/** One queued event with the session it happened in (a retried batch may be older than the
 * current session). */
export interface Queued {
  s: string;
  e: TrackedEvent;
}

/** The stored queue is capped so an unreachable API can never fill the shop's localStorage. */
export const MAX_QUEUED = 200;
export const BATCH_SIZE = 20;
export const FLUSH_MS = 3000;
const BACKOFF_FIRST_MS = 2000;
const BACKOFF_MAX_MS = 5 * 60_000;

export function enqueue(queue: Queued[], item: Queued): Queued[] {
  const longer = [...queue, item];
  return longer.slice(Math.max(0, longer.length - MAX_QUEUED));
}

/** Up to BATCH_SIZE events of the oldest queued event's session. */
export function nextBatch(queue: Queued[]): Queued[] {
  const session = queue[0]?.s;
  return queue.filter((item) => item.s == session).slice(0, BATCH_SIZE);
}

export function without(queue: Queued[], sent: Queued[]): Queued[] {
  const ids = new Set(sent.map((item) => item.e.event_id));
  return queue.filter((item) => !ids.has(item.e.event_id));
}

/** A stored queue read back: anything but a list counts as empty. */
export function validQueue(stored: unknown): Queued[] {
  return Array.isArray(stored) ? stored : [];
}

export type Outcome = "done" | "retry" | "drop";

/** What an answer's status means for the batch; 0 is a network error. A 4xx other than 429 will
 * fail again the same way, so it is dropped rather than retried forever. */
export function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 300) return "done";
  return status == 0 || status == 429 || status >= 500 ? "retry" : "drop";
}

/** Exponential backoff with jitter (`random` in [0, 1)): 2 s, 4 s, 8 s ... at most 5 minutes,
 * each somewhere between half and all of it, so many pages do not retry in step. */
export function backoffMs(failures: number, random: number): number {
  const full = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(full * (0.5 + random / 2));
}
