import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { feedbackSummary } from "../src/agent/feedback";
import {
  applyPoll,
  applySent,
  emptyChat,
  featureWords,
  markRead,
  mergeMessages,
  newChats,
  nextChat,
  riskLevel,
  riskWords,
  stepWords,
  unreadCount,
  type ChatState,
} from "../src/agent/logic";
import type { ChatView, Feedback, Inbox, InboxChat, Message } from "../src/agent/types";

const message = (id: number, author: Message["author"] = "visitor"): Message => ({
  message_id: String(id).padStart(6, "0"),
  author,
  text: `m${id}`,
  at: "2026-12-04T09:00:00Z",
});

const answer = (messages: Message[], nextSince: string | null): ChatView => ({
  chat_id: "c-1",
  status: "assigned",
  agent: { agent_id: "mirjam", display_name: "Mirjam" },
  messages,
  next_since: nextSince,
  category: "dameslaarzen",
  created_at: "2026-12-04T09:00:00Z",
  discount_code: null,
  discount_percent: null,
  resolved: null,
});

const ids = (state: ChatState) => state.messages.map((m) => m.message_id);

describe("the chat kept in step with the since cursor", () => {
  it("merges each message once, in order, whatever order and repeats they arrive in", () => {
    const merged = mergeMessages([message(1), message(3)], [message(2), message(3), message(1)]);
    assert.deepEqual(merged.map((m) => m.message_id), ["000001", "000002", "000003"]);
  });

  it("moves the cursor only with a poll's answer, never with the agent's own sent message", () => {
    let chat = applyPoll(emptyChat("c-1"), answer([message(1)], "000001"));
    // the visitor writes 2 while the agent's message becomes 3
    chat = applySent(chat, message(3, "agent"));
    assert.equal(chat.cursor, "000001");
    chat = applyPoll(chat, answer([message(2), message(3, "agent")], "000003"));
    assert.deepEqual(ids(chat), ["000001", "000002", "000003"]);
    assert.equal(chat.cursor, "000003");
  });

  it("after failed polls resumes from the last cursor that arrived: nothing lost, nothing twice", () => {
    let chat = applyPoll(emptyChat("c-1"), answer([message(1), message(2)], "000002"));
    // polls fail (no answer applied) while 3, 4 and 5 are written; the next answer has them all,
    // and a late duplicate answer changes nothing
    chat = applyPoll(chat, answer([message(3), message(4), message(5)], "000005"));
    chat = applyPoll(chat, answer([message(4), message(5)], "000005"));
    assert.deepEqual(ids(chat), ["000001", "000002", "000003", "000004", "000005"]);
    // an answer without news keeps the cursor
    assert.equal(applyPoll(chat, answer([], null)).cursor, "000005");
  });
});

describe("unread counts", () => {
  it("counts the visitor's and the bot's messages after the last one read, not the agent's", () => {
    let chat = applyPoll(emptyChat("c-1"), answer([message(1, "bot"), message(2), message(3, "agent")], "000003"));
    assert.equal(unreadCount(chat), 2);
    chat = markRead(chat);
    assert.equal(unreadCount(chat), 0);
    chat = applyPoll(chat, answer([message(4), message(5, "system"), message(6)], "000006"));
    assert.equal(unreadCount(chat), 2);
  });
});

describe("the inbox", () => {
  const chat = (id: string, status: InboxChat["status"] = "assigned"): InboxChat => ({
    chat_id: id,
    visitor_id: `v-${id}`,
    status,
    category: "dameslaarzen",
    created_at: "2026-12-04T09:00:00Z",
    waiting_seconds: 3,
    cart_value: 329.95,
    purchase_intent: 0.4,
    abandonment_risk: 0.7,
  });

  it("finds the chats not seen before, assigned or queued", () => {
    const inbox: Inbox = { agent_id: "mirjam", assigned: [chat("a"), chat("b")], queue: [chat("q", "queued")] };
    assert.deepEqual(newChats(new Set(["a"]), inbox).map((c) => c.chat_id), ["b", "q"]);
  });

  it("goes to the next chat with unread messages first, else the next one round", () => {
    const unread: Record<string, number> = { a: 0, b: 0, c: 2 };
    const count = (id: string) => unread[id] ?? 0;
    assert.equal(nextChat(["a", "b", "c"], "a", count), "c");
    assert.equal(nextChat(["a", "b", "c"], "a", () => 0), "b");
    assert.equal(nextChat(["a", "b", "c"], "c", () => 0), "a");
    assert.equal(nextChat(["a"], "a", () => 0), null);
    assert.equal(nextChat([], null, () => 0), null);
    assert.equal(nextChat(["a", "b"], null, () => 0), "a");
  });
});

describe("scores in words", () => {
  it("names the abandonment risk's level", () => {
    assert.deepEqual([0.1, 0.35, 0.59, 0.6, 0.95].map(riskLevel), ["low", "medium", "medium", "high", "high"]);
    assert.equal(riskWords(0.72), "high risk of leaving (72%)");
    assert.equal(riskWords(null), "risk unknown");
  });

  it("says what a feature did to the purchase intent", () => {
    assert.equal(featureWords({ feature: "ProductRelated", effect: 0.123 }), "Product pages viewed raised the purchase intent by 12 points");
    assert.equal(featureWords({ feature: "ExitRates", effect: -0.01 }), "Exit rate of the pages seen lowered the purchase intent by 1 point");
    assert.equal(featureWords({ feature: "Weekend", effect: 0.001 }), "A weekend visit hardly changed the purchase intent");
    assert.equal(featureWords({ feature: "New_Thing", effect: 0.05 }), "New thing raised the purchase intent by 5 points");
  });

  it("tells the journey's steps", () => {
    assert.equal(stepWords({ type: "product_view", product_id: "b-39" }), "Viewed product b-39");
    assert.equal(stepWords({ type: "checkout_step", step: 2 }), "Checkout step 2");
    assert.equal(stepWords({ type: "page_view", url: "https://shop/laarzen?x=1" }), "Viewed /laarzen");
  });
});

describe("my feedback", () => {
  const survey = (csat: number | null, nps: number | null, ces: number | null): Feedback => ({
    chat_id: `c-${csat}-${nps}-${ces}`,
    at: "2026-12-04T09:00:00Z",
    agent_id: "mirjam",
    agent_name: "Mirjam",
    category: "dameslaarzen",
    csat,
    nps,
    ces,
    preferred_channel: null,
    comment: null,
  });

  it("sums up CSAT, NPS and CES as the daily report defines them", () => {
    assert.deepEqual(feedbackSummary([survey(5, 10, 2), survey(3, 6, 4), survey(4, 8, null), survey(null, null, null)]), {
      csat: 67,
      nps: 0,
      ces: 3,
    });
    assert.deepEqual(feedbackSummary([]), { csat: null, nps: null, ces: null });
  });
});
