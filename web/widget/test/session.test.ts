import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SESSION_TIMEOUT_MS, touchSession } from "../src/core/session";

let counter = 0;
const makeId = (): string => `s${++counter}`;

describe("the session", () => {
  it("starts with a new id", () => {
    const session = touchSession(null, 1000, makeId);
    assert.match(session.id, /^s\d+$/);
    assert.equal(session.at, 1000);
  });

  it("keeps its id while the visitor is active, each event extending it", () => {
    const first = touchSession(null, 0, makeId);
    const later = touchSession(first, SESSION_TIMEOUT_MS - 1, makeId);
    const muchLater = touchSession(later, 2 * SESSION_TIMEOUT_MS - 2, makeId);
    assert.equal(later.id, first.id);
    assert.equal(muchLater.id, first.id);
  });

  it("rotates after 30 minutes without activity, forgetting the old session's marks", () => {
    const first = { ...touchSession(null, 0, makeId), shop: 1 as const, stop: 1 as const };
    const next = touchSession(first, 30 * 60_000, makeId);
    assert.notEqual(next.id, first.id);
    assert.equal(next.shop, undefined);
    assert.equal(next.stop, undefined);
  });

  it("keeps the marks within the session", () => {
    const first = { ...touchSession(null, 0, makeId), shop: 1 as const };
    assert.equal(touchSession(first, 1000, makeId).shop, 1);
  });
});
