import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildEvent } from "../src/core/events";

const now = new Date("2026-12-04T10:00:00Z");
const url = "https://shop.example/laarzen/b-39";

describe("events from commands", () => {
  it("puts the contract's fields on the event and the rest into properties", () => {
    const event = buildEvent(
      "add_to_cart",
      { product_id: "b-39", category: "dameslaarzen", value: "329.95", currency: "EUR", quantity: 1, size: 39 },
      "e1",
      now,
      url,
    );
    assert.deepEqual(event, {
      event_id: "e1",
      type: "add_to_cart",
      timestamp: "2026-12-04T10:00:00.000Z",
      url,
      product_id: "b-39",
      category: "dameslaarzen",
      value: 329.95,
      currency: "EUR",
      properties: { quantity: 1, size: 39 },
    });
  });

  it("carries a purchase's discount code in properties", () => {
    const event = buildEvent("purchase", { value: 296.96, currency: "EUR", discount_code: "KR-ABCDEFGHJK", order_id: "o-1" }, "e2", now, url);
    assert.deepEqual(event?.properties, { discount_code: "KR-ABCDEFGHJK", order_id: "o-1" });
    assert.equal(event?.value, 296.96);
  });

  it("leaves out empty fields and has no properties when there are none", () => {
    const event = buildEvent("checkout_step", { step: 2, value: null, discount_code: "" }, "e3", now, url);
    assert.deepEqual(event, { event_id: "e3", type: "checkout_step", timestamp: "2026-12-04T10:00:00.000Z", url, step: 2 });
  });

  it("refuses types the contract does not know", () => {
    assert.equal(buildEvent("consent", {}, "e4", now, url), null);
    assert.equal(buildEvent("toString", {}, "e5", now, url), null);
  });
});
