import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TrackedEvent } from "../src/core/events";
import { BATCH_SIZE, MAX_QUEUED, backoffMs, enqueue, nextBatch, outcomeOf, validQueue, without, type Queued } from "../src/core/queue";

const event = (id: string): TrackedEvent => ({ event_id: id, type: "page_view", timestamp: "2026-12-04T10:00:00.000Z" });
const queued = (id: string, session = "s1"): Queued => ({ s: session, e: event(id) });

describe("the delivery queue", () => {
  it("is capped: the oldest events go first when it is full", () => {
    // given a full queue
    let queue: Queued[] = [];
    for (let i = 0; i < MAX_QUEUED; i++) queue = enqueue(queue, queued(`e${i}`));
    // when one more arrives
    queue = enqueue(queue, queued("newest"));
    // then the oldest is gone and the newest kept
    assert.equal(queue.length, MAX_QUEUED);
    assert.equal(queue[0]?.e.event_id, "e1");
    assert.equal(queue.at(-1)?.e.event_id, "newest");
  });

  it("batches at most 20 events of one session, the oldest session first", () => {
    const queue = [queued("a", "old"), ...Array.from({ length: 30 }, (_, i) => queued(`n${i}`, "new")), queued("b", "old")];
    assert.deepEqual(
      nextBatch(queue).map((item) => item.e.event_id),
      ["a", "b"],
    );
    const rest = without(queue, nextBatch(queue));
    assert.equal(nextBatch(rest).length, BATCH_SIZE);
    assert.ok(nextBatch(rest).every((item) => item.s == "new"));
  });

  it("removes sent events by their event id and keeps the others in order", () => {
    const queue = [queued("a"), queued("b"), queued("c")];
    assert.deepEqual(
      without(queue, [queued("b")]).map((item) => item.e.event_id),
      ["a", "c"],
    );
  });

  it("reads back anything but a list as empty", () => {
    assert.deepEqual(validQueue({ not: "a list" }), []);
    assert.deepEqual(validQueue(null), []);
    assert.deepEqual(validQueue([queued("a")]), [queued("a")]);
  });
});

describe("answers", () => {
  it("retries network errors, 429 and 5xx; drops other 4xx; is done on 2xx", () => {
    assert.equal(outcomeOf(200), "done");
    assert.equal(outcomeOf(204), "done");
    assert.equal(outcomeOf(0), "retry");
    assert.equal(outcomeOf(429), "retry");
    assert.equal(outcomeOf(500), "retry");
    assert.equal(outcomeOf(503), "retry");
    for (const status of [400, 401, 403, 404, 413, 422]) assert.equal(outcomeOf(status), "drop", String(status));
  });
});

describe("backoff", () => {
  it("doubles after each failure up to five minutes", () => {
    const full = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((failures) => backoffMs(failures, 1));
    assert.deepEqual(full.slice(0, 5), [2000, 4000, 8000, 16000, 32000]);
    assert.equal(full.at(-1), 300_000);
    for (let i = 1; i < full.length; i++) assert.ok((full[i] ?? 0) >= (full[i - 1] ?? 0));
  });

  it("waits between half and all of the step (jitter)", () => {
    assert.equal(backoffMs(3, 0), 4000);
    assert.equal(backoffMs(3, 0.5), 6000);
    assert.ok(backoffMs(3, 0.999) <= 8000);
  });
});
