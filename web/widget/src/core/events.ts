/** Tracked events as the contract's `POST /v1/events` takes them. */
export interface TrackedEvent {
  event_id: string;
  type: string;
  timestamp: string;
  url?: string;
  category?: string;
  product_id?: string;
  value?: number;
  currency?: string;
  step?: number;
  properties?: Record<string, unknown>;
}

export type Props = Record<string, unknown>;

export const EVENT_TYPES = [
  "page_view",
  "product_view",
  "add_to_cart",
  "remove_from_cart",
  "checkout_step",
  "purchase",
  "chat_offer_shown",
  "custom",
];

/** Event types after which the shopper may want help: each asks `decide`. */
export const DECIDE_AFTER = ["add_to_cart", "checkout_step"];

const NUMBERS = ["value", "step"];
const TEXTS = ["url", "category", "product_id", "currency"];

/** The event of a `klantreis(type, props)` call, or null for an unknown type. The contract's
 * fields go on the event; anything else (`quantity`, `discount_code`, `order_id`, ...) goes into
 * `properties`. */
export function buildEvent(
  type: string,
  props: Props | null | undefined,
  id: string,
  now: Date,
  url: string,
): TrackedEvent | null {
  if (!EVENT_TYPES.includes(type)) return null;
  const event: TrackedEvent & Props = { event_id: id, type, timestamp: now.toISOString(), url };
  const properties: Props = {};
  let any = false;
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value == null || value === "") continue;
    if (NUMBERS.includes(key)) event[key] = Number(value);
    else if (TEXTS.includes(key)) event[key] = String(value);
    else {
      properties[key] = value;
      any = true;
    }
  }
  if (any) event.properties = properties;
  return event;
}
