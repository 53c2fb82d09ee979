/** The agent console's pure logic: the messages of a chat kept in step with the API's `since`
 * cursor (each message once, in order, after any number of failed polls), unread counts, the
 * inbox's new chats, the next chat to open, and the scores in words. */
import type { ChatView, Inbox, InboxChat, Message } from "./types";

/** Message ids are the chat's zero-padded sequence numbers ("000007"). */
function order(message: Message): number {
  return Number(message.message_id);
}

/** `known` and `incoming` as one list: each message once (by id), oldest first. */
export function mergeMessages(known: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return known as Message[];
  const byId = new Map(known.map((message) => [message.message_id, message]));
  for (const message of incoming) byId.set(message.message_id, message);
  return [...byId.values()].sort((a, b) => order(a) - order(b));
}

/** What the console holds of one open chat. */
export interface ChatState {
  chat_id: string;
  messages: Message[];
  /** The `since` of the next poll: the API's `next_since` of the last answer that arrived. Only
   * a GET answer moves it (a message the agent sent may be newer than one the visitor wrote
   * meanwhile, so its id must not skip that one). */
  cursor: string | null;
  view: Omit<ChatView, "messages"> | null;
  /** The newest message id the agent has seen (the chat open, the tab visible). */
  readUpTo: string | null;
  /** Why the chat can no longer be read (it went to a colleague: 403), or null. */
  gone: string | null;
}

export function emptyChat(chatId: string): ChatState {
  return { chat_id: chatId, messages: [], cursor: null, view: null, readUpTo: null, gone: null };
}

/** The chat after a poll's answer: new messages merged, the cursor moved to `next_since`. */
export function applyPoll(state: ChatState, answer: ChatView): ChatState {
  const { messages, ...view } = answer;
  return {
    ...state,
    messages: mergeMessages(state.messages, messages),
    cursor: answer.next_since ?? state.cursor,
    view,
    gone: null,
  };
}

/** The chat after the agent's own message came back from the API (the cursor stays). */
export function applySent(state: ChatState, message: Message): ChatState {
  return { ...state, messages: mergeMessages(state.messages, [message]) };
}

export function markRead(state: ChatState): ChatState {
  const last = state.messages[state.messages.length - 1];
  return last && last.message_id !== state.readUpTo ? { ...state, readUpTo: last.message_id } : state;
}

/** Messages from the visitor (or the bot's hand-over) newer than what the agent has seen. */
export function unreadCount(state: ChatState): number {
  const seen = state.readUpTo === null ? -1 : Number(state.readUpTo);
  return state.messages.filter((m) => m.author !== "agent" && m.author !== "system" && order(m) > seen).length;
}

/** Chats in the inbox not in `known` (assigned or queued): the ones to alert about. */
export function newChats(known: ReadonlySet<string>, inbox: Inbox): InboxChat[] {
  return [...inbox.assigned, ...inbox.queue].filter((chat) => !known.has(chat.chat_id));
}

/** The chat the "next chat" shortcut opens: the first other chat with unread messages, else the
 * one after the current (wrapping around), else null. */
export function nextChat(assigned: readonly string[], current: string | null, unread: (chatId: string) => number): string | null {
  if (assigned.length === 0) return null;
  const at = current === null ? -1 : assigned.indexOf(current);
  const rotated = [...assigned.slice(at + 1), ...assigned.slice(0, at + 1)].filter((id) => id !== current);
  return rotated.find((id) => unread(id) > 0) ?? rotated[0] ?? null;
}

export type RiskLevel = "high" | "medium" | "low";

/** Abandonment risk (0..1) in words: high from 60%, medium from 35%. */
export function riskLevel(risk: number): RiskLevel {
  return risk >= 0.6 ? "high" : risk >= 0.35 ? "medium" : "low";
}

export function riskWords(risk: number | null | undefined): string {
  if (risk === null || risk === undefined) return "risk unknown";
  return `${riskLevel(risk)} risk of leaving (${percent(risk)})`;
}

export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** The model's features (docs/model.md) as an agent reads them. */
const FEATURE_WORDS: Record<string, string> = {
  Administrative: "account and service pages viewed",
  Administrative_Duration: "time on account and service pages",
  Informational: "information pages viewed",
  Informational_Duration: "time on information pages",
  ProductRelated: "product pages viewed",
  ProductRelated_Duration: "time on product pages",
  BounceRates: "bounce rate of the pages seen",
  ExitRates: "exit rate of the pages seen",
  PageValues: "pages seen that often lead to a sale",
  SpecialDay: "closeness to a special day",
  Month: "the month",
  VisitorType: "new or returning visitor",
  Weekend: "a weekend visit",
};

/** "Product pages viewed raised the purchase intent by 12 points". */
export function featureWords(feature: { feature: string; effect: number }): string {
  const name = FEATURE_WORDS[feature.feature] ?? feature.feature.replace(/_/g, " ").toLowerCase();
  const points = Math.abs(Math.round(feature.effect * 100));
  const sentence = name.charAt(0).toUpperCase() + name.slice(1);
  if (points === 0) return `${sentence} hardly changed the purchase intent`;
  return `${sentence} ${feature.effect > 0 ? "raised" : "lowered"} the purchase intent by ${points} point${points === 1 ? "" : "s"}`;
}

/** A journey step in words: "Viewed product b-39", "Checkout step 2". */
export function stepWords(step: { type: string; product_id?: string | null; step?: number | null; url?: string | null }): string {
  switch (step.type) {
    case "page_view":
      return `Viewed ${pathOf(step.url)}`;
    case "product_view":
      return `Viewed product ${step.product_id ?? pathOf(step.url)}`;
    case "add_to_cart":
      return `Added ${step.product_id ?? "a product"} to the cart`;
    case "remove_from_cart":
      return `Removed ${step.product_id ?? "a product"} from the cart`;
    case "checkout_step":
      return `Checkout step ${step.step ?? "?"}`;
    case "purchase":
      return "Bought";
    case "chat_offer_shown":
      return "Was offered a chat";
    default:
      return step.type.replace(/_/g, " ");
  }
}

/** A URL's path (what an agent reads of a page), or the text as it is. */
export function pathOf(url: string | null | undefined): string {
  if (!url) return "a page";
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
