import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { choiceToStore, hasConsent } from "../src/core/consent";

describe("consent", () => {
  it("in required mode needs an explicit grant", () => {
    assert.equal(hasConsent(false, null), false);
    assert.equal(hasConsent(false, "denied"), false);
    assert.equal(hasConsent(false, "granted"), true);
  });

  it("in implied mode holds until the visitor denies", () => {
    assert.equal(hasConsent(true, null), true);
    assert.equal(hasConsent(true, "granted"), true);
    assert.equal(hasConsent(true, "denied"), false);
  });

  it("stores nothing for a refusal in required mode, but remembers one in implied mode", () => {
    assert.equal(choiceToStore(false, "denied"), null);
    assert.equal(choiceToStore(false, "granted"), "granted");
    assert.equal(choiceToStore(true, "denied"), "denied");
  });
});
