/** Zero-code tracking for shops that already measure: GA4 e-commerce events pushed to the Google
 * Tag Manager dataLayer (`{event, ecommerce}`) or through gtag (`gtag("event", name, params)`
 * pushes its arguments) become our events. */
import type { Props } from "./events";

export type Command = [type: string, props: Props];

interface Item {
  item_id?: unknown;
  item_category?: unknown;
  price?: unknown;
  quantity?: unknown;
}

interface Ecommerce {
  currency?: unknown;
  value?: unknown;
  coupon?: unknown;
  transaction_id?: unknown;
  items?: Item[];
}

const CHECKOUT_STEPS: Record<string, number> = { begin_checkout: 1, add_shipping_info: 2, add_payment_info: 3 };
const ITEM_EVENTS: Record<string, string> = {
  view_item: "product_view",
  add_to_cart: "add_to_cart",
  remove_from_cart: "remove_from_cart",
};

export function ga4Commands(push: unknown): Command[] {
  const pushed = push as Record<string | number, unknown> | null | undefined;
  const [name, data] = (
    pushed?.[0] == "event" ? [pushed[1], pushed[2]] : [pushed?.event, pushed?.ecommerce]
  ) as [unknown, Ecommerce | null | undefined];
  const { currency, value, items } = data || {};
  const type = ITEM_EVENTS[name as string];
  if (typeof type == "string") {
    return (Array.isArray(items) ? items : [])
      .filter((item) => item?.item_id != null)
      .map((item) => [
        type,
        {
          product_id: item.item_id,
          category: item.item_category,
          value: item.price,
          currency,
          quantity: item.quantity,
        },
      ]);
  }
  const step = CHECKOUT_STEPS[name as string];
  if (step! > 0) return [["checkout_step", { step, value, currency }]];
  return name == "purchase" && data
    ? [["purchase", { value, currency, discount_code: data.coupon, order_id: data.transaction_id }]]
    : [];
}
