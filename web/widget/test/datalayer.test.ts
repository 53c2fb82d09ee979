/** GA4 e-commerce events in the shapes Google documents for Google Tag Manager's dataLayer and
 * for gtag.js, mapped to Klantreis events. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ga4Commands } from "../src/core/datalayer";

const item = {
  item_id: "SKU_12345",
  item_name: "Stan and Friends Tee",
  affiliation: "Google Merchandise Store",
  coupon: "SUMMER_FUN",
  discount: 2.22,
  index: 0,
  item_brand: "Google",
  item_category: "Apparel",
  item_category2: "Adult",
  item_list_id: "related_products",
  item_list_name: "Related Products",
  item_variant: "green",
  location_id: "ChIJIQBpAG2ahYAR_6128GcTUEo",
  price: 10.01,
  quantity: 3,
};
const second = { item_id: "SKU_12346", item_name: "Google Grey Women's Tee", item_category: "Apparel", price: 21.01, quantity: 2 };

/** gtag("event", name, params) pushes its `arguments` object to the dataLayer. */
function gtagArguments(..._args: unknown[]): IArguments {
  return arguments;
}

describe("GA4 dataLayer events", () => {
  it("view_item -> product_view per item, with the unit price", () => {
    const push = { event: "view_item", ecommerce: { currency: "USD", value: 30.03, items: [item] } };
    assert.deepEqual(ga4Commands(push), [
      ["product_view", { product_id: "SKU_12345", category: "Apparel", value: 10.01, currency: "USD", quantity: 3 }],
    ]);
  });

  it("add_to_cart and remove_from_cart -> one event per item, with its quantity", () => {
    const ecommerce = { currency: "EUR", value: 72.04, items: [item, second] };
    assert.deepEqual(ga4Commands({ event: "add_to_cart", ecommerce }), [
      ["add_to_cart", { product_id: "SKU_12345", category: "Apparel", value: 10.01, currency: "EUR", quantity: 3 }],
      ["add_to_cart", { product_id: "SKU_12346", category: "Apparel", value: 21.01, currency: "EUR", quantity: 2 }],
    ]);
    assert.deepEqual(ga4Commands({ event: "remove_from_cart", ecommerce: { currency: "EUR", items: [second] } }), [
      ["remove_from_cart", { product_id: "SKU_12346", category: "Apparel", value: 21.01, currency: "EUR", quantity: 2 }],
    ]);
  });

  it("begin_checkout, add_shipping_info, add_payment_info -> checkout steps 1, 2, 3", () => {
    const ecommerce = { currency: "USD", value: 30.03, coupon: "SUMMER_FUN", shipping_tier: "Ground", payment_type: "Credit Card", items: [item] };
    for (const [event, step] of [["begin_checkout", 1], ["add_shipping_info", 2], ["add_payment_info", 3]] as const) {
      assert.deepEqual(ga4Commands({ event, ecommerce }), [["checkout_step", { step, value: 30.03, currency: "USD" }]]);
    }
  });

  it("purchase -> purchase with value, currency, the coupon as discount code and the order id", () => {
    const push = {
      event: "purchase",
      ecommerce: {
        transaction_id: "T_12345",
        value: 72.05,
        tax: 3.6,
        shipping: 5.99,
        currency: "USD",
        coupon: "SUMMER_SALE",
        customer_type: "new",
        items: [item, second],
      },
    };
    assert.deepEqual(ga4Commands(push), [
      ["purchase", { value: 72.05, currency: "USD", discount_code: "SUMMER_SALE", order_id: "T_12345" }],
    ]);
  });

  it("reads gtag's pushes (its arguments object) the same way", () => {
    const push = gtagArguments("event", "begin_checkout", { currency: "USD", value: 30.03, coupon: "SUMMER_FUN", items: [item] });
    assert.deepEqual(ga4Commands(push), [["checkout_step", { step: 1, value: 30.03, currency: "USD" }]]);
    const view = gtagArguments("event", "view_item", { currency: "USD", value: 10.01, items: [item] });
    assert.equal(ga4Commands(view)[0]?.[0], "product_view");
  });

  it("ignores everything else: the ecommerce reset, GTM's own events, config calls, junk", () => {
    for (const push of [
      { ecommerce: null },
      { event: "gtm.js", "gtm.start": 1764842400000 },
      { event: "gtm.dom" },
      { event: "view_item_list", ecommerce: { items: [item] } },
      { event: "constructor", ecommerce: { items: [item] } },
      { event: "toString", ecommerce: { value: 1 } },
      { event: "purchase" },
      { event: "view_item", ecommerce: { items: [{ item_name: "no id" }] } },
      gtagArguments("config", "G-XXXXXXX"),
      gtagArguments("js", new Date()),
      null,
      "a string",
      42,
    ]) {
      assert.deepEqual(ga4Commands(push), [], JSON.stringify(push));
    }
  });
});
