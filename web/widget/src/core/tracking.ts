/** Tracking without the DOM: consent, ids, the persisted retry queue, batching, backoff, the
 * beacon on leaving, and `decide`. The browser entry (`tracker.ts`) wires it to the page; tests
 * wire it to fakes. */
import { choiceToStore, hasConsent, type ConsentChoice } from "./consent";
import { buildEvent, type Props, type TrackedEvent } from "./events";
import { BATCH_SIZE, FLUSH_MS, backoffMs, enqueue, nextBatch, outcomeOf, validQueue, without, type Queued } from "./queue";
import { touchSession, type Session } from "./session";
import { newId, read, write, type KeyValueStore } from "./storage";

export const KEY_VISITOR = "kr_v";
export const KEY_SESSION = "kr_s";
export const KEY_QUEUE = "kr_q";
export const KEY_CONSENT = "kr_c";
export const EVENTS_PATH = "/v1/events";
export const DECIDE_PATH = "/v1/engagement/decide";

/** Decide's reasons that will not change within the session: stop asking. */
const FINAL_REASONS = ["holdout", "bot", "capped"];
/** Events that show shopping intent: only such sessions ask `decide` when idle. */
const SHOPPING = ["product_view", "add_to_cart", "checkout_step"];

/** [status, JSON body or null]; status 0 when the request did not get an answer. */
export type Answer = [number, Record<string, unknown> | null];

export interface TrackingEnv {
  local: KeyValueStore | null;
  post(path: string, body: object, keepalive?: boolean): Promise<Answer>;
  /** navigator.sendBeacon: true when the browser took the body for delivery */
  beacon(path: string, body: object): boolean;
  now(): number;
  url(): string;
}

export interface Offer {
  offer: boolean;
  offer_id?: string;
  message?: string;
  reason?: string;
}

export type Tracking = ReturnType<typeof createTracking>;

/** `implied`: the site's consent mode is `implied` (else `required`). */
export function createTracking(env: TrackingEnv, implied: boolean) {
  const { local } = env;
  let choice = read<ConsentChoice>(local, KEY_CONSENT);
  const allowed = (): boolean => hasConsent(implied, choice);
  /** What requests say about consent: `implied` lets a server whose own mode is `required`
   * refuse what this page's `data-consent="implied"` would send. */
  const consentField = (): string => (choice == "granted" ? "granted" : "implied");
  /** Events before the visitor chose, in `required` mode: kept in memory only, sent on consent. */
  let held: TrackedEvent[] = [];
  let queue: Queued[] = allowed() ? validQueue(read(local, KEY_QUEUE)) : [];
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: Promise<void> | null = null;
  /** the batch of the request under way */
  let sending: Queued[] = [];
  /** Without consent the ids live in this page only (a chat works without tracking). */
  const pageVisitor = newId();
  let pageSession: Session | null = null;

  function visitorId(): string {
    if (!allowed()) return pageVisitor;
    const stored = read<string>(local, KEY_VISITOR);
    if (typeof stored == "string") return stored;
    write(local, KEY_VISITOR, pageVisitor);
    return pageVisitor;
  }

  function session(update?: Partial<Session>): Session {
    const next = { ...touchSession(allowed() ? read(local, KEY_SESSION) : pageSession, env.now(), newId), ...update };
    if (allowed()) write(local, KEY_SESSION, next);
    else pageSession = next;
    return next;
  }

  const save = (): void => write(local, KEY_QUEUE, queue.length ? queue : null);

  function schedule(ms: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
  }

  function add(event: TrackedEvent): void {
    queue = enqueue(queue, { s: session(SHOPPING.includes(event.type) ? { shop: 1 } : {}).id, e: event });
    save();
    if (failures) return; // the backoff timer sends it
    if (queue.length >= BATCH_SIZE) void flush();
    else if (!timer) schedule(FLUSH_MS);
  }

  function envelope(batch: Queued[]): object {
    return {
      visitor_id: visitorId(),
      session_id: batch[0]?.s,
      sent_at: new Date(env.now()).toISOString(),
      consent: consentField(),
      events: batch.map((item) => item.e),
    };
  }

  async function send(): Promise<void> {
    if (failures && timer) return; // backing off: the timer sends
    clearTimeout(timer);
    timer = undefined;
    for (let batch = nextBatch(queue); batch.length && allowed(); batch = nextBatch(queue)) {
      sending = batch;
      const [status] = await env.post(EVENTS_PATH, envelope(batch), true);
      sending = [];
      if (outcomeOf(status) == "retry") {
        // back in the queue, in case leave() counted on this request
        queue = [...without(batch, queue), ...queue];
        save();
        schedule(backoffMs(++failures, Math.random()));
        return;
      }
      failures = 0;
      queue = without(queue, batch);
      save();
    }
  }

  /** Sends every queued event now, batch by batch; resolves when done or backing off. */
  function flush(): Promise<void> {
    inflight ??= send()
      .catch(() => undefined)
      .finally(() => (inflight = null));
    return inflight;
  }

  return {
    allowed,
    flush,

    track(type: string, props?: Props | null): TrackedEvent | null {
      const event = buildEvent(type, props, newId(), new Date(env.now()), env.url());
      if (!event) return null;
      if (allowed()) add(event);
      else if (choice == null && held.length < BATCH_SIZE) held.push(event);
      return event;
    },

    consent(granted: boolean): void {
      choice = granted ? "granted" : "denied";
      write(local, KEY_CONSENT, choiceToStore(implied, choice));
      const early = held;
      held = [];
      if (allowed()) early.forEach(add);
      else {
        queue = [];
        pageSession = null;
        for (const key of [KEY_VISITOR, KEY_SESSION, KEY_QUEUE]) write(local, key, null);
      }
    },

    /** On pagehide: whatever is queued goes with sendBeacon, except the batch of a request under
     * way (a keepalive request outlives the page; sending it twice costs a request). While the API
     * fails, the events stay stored instead, for the next page to retry. */
    leave(): void {
      if (!allowed() || failures) return;
      queue = without(queue, sending);
      for (let batch = nextBatch(queue); batch.length && env.beacon(EVENTS_PATH, envelope(batch)); batch = nextBatch(queue)) {
        queue = without(queue, batch);
      }
      save();
    },

    /** The visitor and session ids (stored ones with consent, this page's own without). */
    ids(): [string, string] {
      return [visitorId(), session().id];
    },

    /** Asks for an offer once the queued events are delivered. Null when there is nothing to
     * ask: no consent, no shopping in this session, or a final answer earlier this session. */
    async decide(idle: number): Promise<Offer | null> {
      const current = session();
      if (!allowed() || !current.shop || current.stop) return null;
      await flush();
      const [status, answer] = await env.post(DECIDE_PATH, {
        visitor_id: visitorId(),
        session_id: current.id,
        idle_seconds: idle,
        consent: consentField(),
      });
      const offer = status == 200 ? (answer as Offer | null) : null;
      if (offer && FINAL_REASONS.includes(offer.reason ?? "")) session({ stop: 1 });
      return offer;
    },

    respond(offerId: string, response: "accepted" | "rejected" | "ignored"): void {
      void env.post(`/v1/engagement/offers/${encodeURIComponent(offerId)}/response`, { response }, true);
    },
  };
}
