/** Tracking end to end against a fake API and storage: consent, batching, the retry queue with
 * backoff, the beacon on leaving, and decide. Timers are node's mock timers, never the clock. */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { BATCH_SIZE, FLUSH_MS, MAX_QUEUED } from "../src/core/queue";
import { DECIDE_PATH, EVENTS_PATH, KEY_CONSENT, KEY_QUEUE, KEY_SESSION, KEY_VISITOR, createTracking } from "../src/core/tracking";
import { FakeApi, settle } from "./fakes";

const REQUIRED = false;
const IMPLIED = true;

beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
afterEach(() => mock.timers.reset());

/** Runs due timers and the promise callbacks they start. */
async function tick(ms: number): Promise<void> {
  mock.timers.tick(ms);
  await settle();
  await settle();
}

describe("consent", () => {
  it("required: nothing is sent or stored before the visitor chooses", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), REQUIRED);
    tracking.track("page_view");
    tracking.track("product_view", { product_id: "b-39" });
    await tracking.flush();
    await tick(60_000);
    assert.deepEqual(api.sent, []);
    assert.equal(api.store.items.size, 0);
  });

  it("required, granted: the events of the page so far are sent, with consent marked", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), REQUIRED);
    const early = tracking.track("page_view");
    tracking.consent(true);
    await tracking.flush();
    assert.equal(api.sent.length, 1);
    assert.equal(api.sent[0]?.path, EVENTS_PATH);
    assert.equal(api.sent[0]?.body.consent, "granted");
    assert.deepEqual(api.eventIds(), [early?.event_id]);
    assert.equal(api.store.json(KEY_CONSENT), "granted");
    assert.equal(api.sent[0]?.body.visitor_id, api.store.json(KEY_VISITOR));
  });

  it("a stored grant holds on the next page", async () => {
    const api = new FakeApi();
    createTracking(api.env(), REQUIRED).consent(true);
    const nextPage = createTracking(api.env(), REQUIRED);
    nextPage.track("page_view");
    await nextPage.flush();
    assert.equal(api.sent.length, 1);
  });

  it("required, denied: not one request, nothing stored, the early events forgotten", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), REQUIRED);
    tracking.track("page_view");
    tracking.consent(false);
    tracking.track("add_to_cart", { product_id: "b-39" });
    await tracking.flush();
    assert.equal(await tracking.decide(45), null);
    await tick(60_000);
    tracking.leave();
    assert.deepEqual(api.sent, []);
    assert.equal(api.store.items.size, 0);
  });

  it("denying after granting stops tracking and erases the stored ids and queue", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), REQUIRED);
    tracking.consent(true);
    tracking.track("page_view");
    tracking.consent(false);
    await tracking.flush();
    assert.deepEqual(api.sent, []);
    assert.equal(api.store.items.size, 0);
  });

  it("implied: tracks without a choice (saying so), and remembers a refusal", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("page_view");
    await tracking.flush();
    assert.equal(api.sent.length, 1);
    assert.equal(api.sent[0]?.body.consent, "implied");
    tracking.consent(false);
    const nextPage = createTracking(api.env(), IMPLIED);
    nextPage.track("page_view");
    await nextPage.flush();
    assert.equal(api.sent.length, 1);
    assert.equal(api.store.json(KEY_CONSENT), "denied");
  });
});

describe("batching", () => {
  it("flushes a few seconds after the first event, all events in one request", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("page_view");
    tracking.track("product_view", { product_id: "b-39" });
    await tick(FLUSH_MS - 1);
    assert.equal(api.sent.length, 0);
    await tick(1);
    assert.equal(api.sent.length, 1);
    assert.equal(api.sent[0]?.body.events?.length, 2);
    assert.equal(api.store.json(KEY_QUEUE), null);
  });

  it("flushes at once at 20 events, and sends the rest in the next batch", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), IMPLIED);
    for (let i = 0; i < BATCH_SIZE + 5; i++) tracking.track("custom", { n: i });
    await settle();
    await tracking.flush();
    assert.deepEqual(
      api.sent.map((request) => request.body.events?.length),
      [BATCH_SIZE, 5],
    );
  });

  it("sends each session's events with that session's id", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("page_view");
    api.clock += 31 * 60_000;
    tracking.track("page_view");
    await tracking.flush();
    assert.equal(api.sent.length, 2);
    assert.notEqual(api.sent[0]?.body.session_id, api.sent[1]?.body.session_id);
    assert.equal(api.sent[0]?.body.visitor_id, api.sent[1]?.body.visitor_id);
  });
});

describe("the retry queue", () => {
  it("keeps events while the API is down and delivers each once, with its id, when it is back", async () => {
    // given an unreachable API
    const api = new FakeApi();
    api.answers.push([0, null], [0, null]);
    const tracking = createTracking(api.env(), IMPLIED);
    const events = [tracking.track("page_view"), tracking.track("product_view", { product_id: "b-39" })];
    await tracking.flush();
    // then the events are stored, ids and all
    const stored = api.store.json(KEY_QUEUE) as { e: { event_id: string } }[];
    assert.deepEqual(
      stored.map((item) => item.e.event_id),
      events.map((event) => event?.event_id),
    );
    // when the backoff passes (2 s at most, then 4 s at most) and the API answers again
    await tick(2000);
    assert.equal(api.sent.length, 2);
    await tick(4000);
    // then the same events arrive, the same ids, and the queue is empty
    assert.equal(api.sent.length, 3);
    assert.deepEqual(api.sent[2]?.body.events?.map((event) => event.event_id), events.map((event) => event?.event_id));
    assert.equal(api.store.json(KEY_QUEUE), null);
  });

  it("waits longer after each failure (exponential backoff)", async () => {
    const api = new FakeApi();
    for (let i = 0; i < 4; i++) api.answers.push([503, null]);
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("page_view");
    await tracking.flush();
    const attempts: number[] = [];
    for (let waited = 0; waited <= 40_000; waited += 250) {
      const before = api.sent.length;
      await tick(250);
      if (api.sent.length > before) attempts.push(waited + 250);
    }
    assert.equal(attempts.length, 4);
    // the i-th wait is between half and all of 2 s * 2^i (jitter), seen at a 250 ms resolution
    const gaps = attempts.map((at, i) => at - (attempts[i - 1] ?? 0));
    gaps.forEach((gap, i) => assert.ok(gap >= 1000 * 2 ** i && gap <= 2000 * 2 ** i + 250, `wait ${i}: ${gap} ms`));
  });

  it("a new page retries what the last one could not deliver", async () => {
    const api = new FakeApi();
    api.answers.push([0, null]);
    const first = createTracking(api.env(), IMPLIED);
    const event = first.track("page_view");
    await first.flush();
    const next = createTracking(api.env(), IMPLIED);
    await next.flush();
    assert.deepEqual(api.eventIds(), [event?.event_id, event?.event_id]);
    assert.equal(api.store.json(KEY_QUEUE), null);
  });

  it("retries 429 but drops a batch the API refuses with another 4xx", async () => {
    const api = new FakeApi();
    api.answers.push([429, null], [400, null]);
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("page_view");
    await tracking.flush();
    await tick(2000);
    assert.equal(api.sent.length, 2);
    await tick(600_000);
    assert.equal(api.sent.length, 2);
    assert.equal(api.store.json(KEY_QUEUE), null);
  });

  it("never stores more than the cap, keeping the newest", async () => {
    const api = new FakeApi();
    for (let i = 0; i < 50; i++) api.answers.push([0, null]);
    const tracking = createTracking(api.env(), IMPLIED);
    let last = null;
    for (let i = 0; i < MAX_QUEUED + 50; i++) last = tracking.track("custom", { n: i });
    const stored = api.store.json(KEY_QUEUE) as { e: { event_id: string } }[];
    assert.equal(stored.length, MAX_QUEUED);
    assert.equal(stored.at(-1)?.e.event_id, last?.event_id);
  });
});

describe("leaving the page", () => {
  it("sends what is queued with sendBeacon", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), IMPLIED);
    const event = tracking.track("add_to_cart", { product_id: "b-39" });
    tracking.leave();
    assert.equal(api.sent[0]?.via, "beacon");
    assert.deepEqual(api.eventIds(), [event?.event_id]);
    assert.equal(api.store.json(KEY_QUEUE), null);
  });

  it("keeps the events stored when the browser refuses the beacon", () => {
    const api = new FakeApi();
    api.beaconAccepts = false;
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("page_view");
    tracking.leave();
    assert.equal((api.store.json(KEY_QUEUE) as unknown[]).length, 1);
  });

  it("keeps the events stored while the API fails, for the next page", async () => {
    const api = new FakeApi();
    api.answers.push([0, null]);
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("page_view");
    await tracking.flush();
    tracking.leave();
    assert.equal(api.sent.filter((request) => request.via == "beacon").length, 0);
    assert.equal((api.store.json(KEY_QUEUE) as unknown[]).length, 1);
  });

  it("a navigation during a flush sends each event once: the request under way carries its batch", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), IMPLIED);
    const first = tracking.track("page_view");
    const flushing = tracking.flush();
    const second = tracking.track("product_view", { product_id: "b-39" });
    tracking.leave();
    await flushing;
    assert.deepEqual(
      api.sent.map((request) => [request.via, request.body.events?.map((event) => event.event_id)]),
      [
        ["fetch", [first?.event_id]],
        ["beacon", [second?.event_id]],
      ],
    );
    assert.equal(api.store.json(KEY_QUEUE), null);
  });

  it("a request under way at leaving that fails puts its events back in the queue", async () => {
    const api = new FakeApi();
    api.answers.push([0, null]);
    const tracking = createTracking(api.env(), IMPLIED);
    const event = tracking.track("page_view");
    const flushing = tracking.flush();
    tracking.leave();
    await flushing;
    const stored = api.store.json(KEY_QUEUE) as { e: { event_id: string } }[];
    assert.deepEqual(
      stored.map((item) => item.e.event_id),
      [event?.event_id],
    );
  });
});

describe("decide", () => {
  it("is not asked without shopping in the session", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("page_view");
    assert.equal(await tracking.decide(30), null);
    assert.ok(api.sent.every((request) => request.path != DECIDE_PATH));
  });

  it("asks after delivering the session's events, with idle seconds and consent", async () => {
    const api = new FakeApi();
    api.answers.push([200, {}], [200, { offer: true, offer_id: "o1", message: "Hulp nodig?", reason: "qualified" }]);
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("add_to_cart", { product_id: "b-39", value: 329.95, currency: "EUR" });
    const offer = await tracking.decide(30);
    assert.deepEqual(
      api.sent.map((request) => request.path),
      [EVENTS_PATH, DECIDE_PATH],
    );
    const [visitor, session] = tracking.ids();
    assert.deepEqual(api.sent[1]?.body, { visitor_id: visitor, session_id: session, idle_seconds: 30, consent: "implied" });
    assert.equal(offer?.offer_id, "o1");
  });

  it("stops asking for the session after holdout (and asks again in a new session)", async () => {
    const api = new FakeApi();
    api.answers.push([200, {}], [200, { offer: false, reason: "holdout" }]);
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("checkout_step", { step: 2 });
    await tracking.decide(0);
    assert.equal(await tracking.decide(45), null);
    assert.equal(api.sent.length, 2);
    assert.equal((api.store.json(KEY_SESSION) as { stop?: number }).stop, 1);
    // a new session (30 minutes later) shops and asks again
    api.clock += 31 * 60_000;
    tracking.track("add_to_cart", { product_id: "b-39" });
    await tracking.decide(0);
    assert.equal(api.sent.at(-1)?.path, DECIDE_PATH);
  });

  it("keeps asking after not_qualified", async () => {
    const api = new FakeApi();
    api.answers.push([200, {}], [200, { offer: false, reason: "not_qualified" }]);
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("product_view", { product_id: "b-39" });
    await tracking.decide(15);
    await tracking.decide(30);
    assert.deepEqual(
      api.sent.map((request) => request.path),
      [EVENTS_PATH, DECIDE_PATH, DECIDE_PATH],
    );
  });

  it("stays silent when the API is down", async () => {
    const api = new FakeApi();
    api.answers.push([0, null], [0, null]);
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.track("add_to_cart", { product_id: "b-39" });
    assert.equal(await tracking.decide(0), null);
  });

  it("answers an offer at its own path, the id escaped", async () => {
    const api = new FakeApi();
    const tracking = createTracking(api.env(), IMPLIED);
    tracking.respond("o/1", "rejected");
    await settle();
    assert.equal(api.sent[0]?.path, "/v1/engagement/offers/o%2F1/response");
    assert.deepEqual(api.sent[0]?.body, { response: "rejected" });
  });
});
