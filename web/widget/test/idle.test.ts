import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IDLE_MARKS, dueIdleMark, idleSeconds } from "../src/core/idle";

describe("idle detection", () => {
  it("counts whole seconds since the last activity, never negative", () => {
    assert.equal(idleSeconds(10_000, 40_999), 30);
    assert.equal(idleSeconds(10_000, 9_000), 0);
  });

  it("asks at growing marks, once each per idle spell", () => {
    // given a shopper idling, checked every 5 s
    const asked: number[] = [];
    let last = 0;
    for (let idle = 0; idle <= 200; idle += 5) {
      const mark = dueIdleMark(idle, last);
      if (mark) asked.push((last = mark));
    }
    // then each mark is asked once, in order
    assert.deepEqual(asked, IDLE_MARKS);
  });

  it("asks only the highest mark reached after a long gap (a tab brought back)", () => {
    assert.equal(dueIdleMark(100, 0), 90);
    assert.equal(dueIdleMark(100, 90), 0);
    assert.equal(dueIdleMark(10, 0), 0);
  });
});
