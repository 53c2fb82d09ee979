import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { POLL_HIDDEN_MS, POLL_MINIMIZED_MS, POLL_VISIBLE_MS, pollDelay, pollOutcome, surveyAnswers, unseen, type ChatMessage } from "../src/chat/logic";
import { language, parseCategories } from "../src/host";

describe("chat polling", () => {
  it("polls about every 1.5 s while open and visible, slower when minimized or hidden", () => {
    assert.equal(pollDelay(true, true, 0), POLL_VISIBLE_MS);
    assert.equal(POLL_VISIBLE_MS, 1500);
    assert.equal(pollDelay(true, false, 0), POLL_MINIMIZED_MS);
    assert.equal(pollDelay(false, true, 0), POLL_HIDDEN_MS);
    assert.ok(POLL_HIDDEN_MS > POLL_MINIMIZED_MS && POLL_MINIMIZED_MS > POLL_VISIBLE_MS);
  });

  it("backs off after failed polls, up to a minute", () => {
    assert.equal(pollDelay(true, true, 1), 3000);
    assert.equal(pollDelay(true, true, 2), 6000);
    assert.equal(pollDelay(true, true, 50), 60_000);
  });

  it("forgets a chat whose token or chat is gone, retries anything else", () => {
    assert.equal(pollOutcome(200), "ok");
    for (const status of [401, 403, 404]) assert.equal(pollOutcome(status), "gone");
    for (const status of [0, 429, 500, 503]) assert.equal(pollOutcome(status), "retry");
  });

  it("shows each message once, whether it came from sending or from a poll", () => {
    const seen = new Set<string>();
    const message = (id: string): ChatMessage => ({ message_id: id, author: "agent", text: id });
    assert.deepEqual(
      unseen([message("000001")], seen).map((m) => m.message_id),
      ["000001"],
    );
    assert.deepEqual(
      unseen([message("000001"), message("000002")], seen).map((m) => m.message_id),
      ["000002"],
    );
    assert.deepEqual(unseen(undefined, seen), []);
  });
});

describe("the survey's answers", () => {
  const form = (fields: Record<string, string>) => (name: string) => fields[name] ?? null;

  it("sends the scores as numbers, the channel and the trimmed comment", () => {
    assert.deepEqual(surveyAnswers(form({ csat: "5", nps: "0", ces: "7", preferred_channel: "whatsapp", comment: "  Top!  " })), {
      csat: 5,
      nps: 0,
      ces: 7,
      preferred_channel: "whatsapp",
      comment: "Top!",
    });
  });

  it("leaves out what was not answered, and is null when nothing was", () => {
    assert.deepEqual(surveyAnswers(form({ nps: "9", preferred_channel: "", comment: " " })), { nps: 9 });
    assert.equal(surveyAnswers(form({})), null);
    assert.equal(surveyAnswers(form({ preferred_channel: "pigeon" })), null);
  });
});

describe("the embed's attributes", () => {
  it("speaks the site's language first, then the browser's, Dutch or English", () => {
    assert.equal(language("nl", "en-US"), "nl");
    assert.equal(language("en", "nl-NL"), "en");
    assert.equal(language(undefined, "nl-BE"), "nl");
    assert.equal(language("", "de-DE"), "en");
    assert.equal(language(undefined, undefined), "en");
  });

  it("reads the pre-chat categories as value:label pairs", () => {
    assert.deepEqual(parseCategories("dameslaarzen:Dameslaarzen, retour ,maat:Welke maat?,"), [
      ["dameslaarzen", "Dameslaarzen"],
      ["retour", "retour"],
      ["maat", "Welke maat?"],
    ]);
    assert.deepEqual(parseCategories(undefined), []);
  });
});
