/** Idle detection: how long the shopper has not touched the page, and when that is worth a
 * `decide` (a few growing marks per idle spell, not a request every few seconds). */
export const IDLE_MARKS = [15, 30, 45, 60, 90, 120];

export function idleSeconds(lastActivity: number, now: number): number {
  return Math.max(0, Math.floor((now - lastActivity) / 1000));
}

/** The highest mark reached and not asked for yet in this idle spell, or 0. */
export function dueIdleMark(idle: number, lastAsked: number): number {
  let due = 0;
  for (const mark of IDLE_MARKS) if (mark <= idle && mark > lastAsked) due = mark;
  return due;
}
