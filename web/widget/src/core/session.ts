/** The session: one id per visit, a new one after 30 minutes without a tracked event. */
export const SESSION_TIMEOUT_MS = 30 * 60_000;

export interface Session {
  /** the session id */
  id: string;
  /** the last activity, epoch ms */
  at: number;
  /** 1 once the session showed shopping intent (a product, cart or checkout event): only then
   * does idling ask for an offer */
  shop?: 1;
  /** 1 once `decide` gave an answer that holds for the whole session (holdout, bot, capped) */
  stop?: 1;
}

export function touchSession(previous: Session | null, now: number, makeId: () => string): Session {
  if (previous && typeof previous.id == "string" && now - previous.at < SESSION_TIMEOUT_MS) {
    return { ...previous, at: now };
  }
  return { id: makeId(), at: now };
}
