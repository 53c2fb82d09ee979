import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError, fieldErrors } from "../src/api";
import { tokenClaims, tokenExpired } from "../src/auth/session";
import { parseConfig } from "../src/config";
import { hashOf, pagesFor, parseHash, type Area } from "../src/pages";
import { nextDelay } from "../src/poll";
import { titleText } from "../src/title";

describe("the page registry", () => {
  it("reads the page and its parameters from the URL's hash, and writes them back", () => {
    assert.deepEqual(parseHash("#/chats/c-1"), { page: "chats", params: ["c-1"] });
    assert.deepEqual(parseHash(""), { page: "", params: [] });
    assert.deepEqual(parseHash(hashOf("decisions", "v 1/x")), { page: "decisions", params: ["v 1/x"] });
  });

  it("gives a role the pages of its areas only", () => {
    const page = (id: string, role: "agent" | "operator") => ({ id, title: id, roles: [role], render: () => null as never });
    const areas: Area[] = [
      { role: "agent", pages: [page("chats", "agent")] },
      { role: "operator", pages: [page("report", "operator"), page("live", "operator")] },
    ];
    assert.deepEqual(pagesFor("operator", areas).map((p) => p.id), ["report", "live"]);
    assert.deepEqual(pagesFor("agent", areas).map((p) => p.id), ["chats"]);
  });
});

describe("422 field errors", () => {
  const invalid = new ApiError(422, "validation_failed", "weekly.mon.0: bad", [
    { field: "weekly.mon.0", error: "bad time" },
    { field: "timezone", error: "unknown zone" },
    { field: "extra", error: "not permitted" },
  ]);

  it("maps each problem to the form's field it belongs to, the rest to the form", () => {
    assert.deepEqual(fieldErrors(invalid, ["weekly", "timezone"]), {
      weekly: "bad time",
      timezone: "unknown zone",
      "": "extra: not permitted",
    });
  });

  it("keeps the API's field paths when the form names none, and is empty for other errors", () => {
    assert.equal(fieldErrors(invalid)["weekly.mon.0"], "bad time");
    assert.deepEqual(fieldErrors(new ApiError(403, "forbidden", "no")), {});
    assert.deepEqual(fieldErrors(new Error("x")), {});
  });
});

describe("polling", () => {
  it("waits the interval, doubling after each failure up to the maximum", () => {
    const options = { intervalMs: 2000, maxMs: 30_000, hiddenMs: 10_000 };
    assert.deepEqual([0, 1, 2, 3, 4, 10].map((failures) => nextDelay(options, failures, false)), [2000, 4000, 8000, 16_000, 30_000, 30_000]);
    assert.equal(nextDelay(options, 0, true), 10_000);
  });
});

describe("sign-in and configuration", () => {
  const encode = (claims: object) => Buffer.from(JSON.stringify(claims)).toString("base64url");

  it("reads the claims of a local token and of a JWT", () => {
    const claims = { sub: "mirjam", role: "agent", exp: "2000000000" };
    assert.deepEqual(tokenClaims(`${encode(claims)}.sig`), claims);
    assert.deepEqual(tokenClaims(`${encode({ alg: "RS256" })}.${encode(claims)}.sig`), claims);
    assert.equal(tokenClaims("garbage"), null);
  });

  it("knows an expired token", () => {
    const token = `${encode({ exp: "1000" })}.sig`;
    assert.equal(tokenExpired(token, 999_000), false);
    assert.equal(tokenExpired(token, 1_000_000), true);
    assert.equal(tokenExpired("garbage", 0), false);
  });

  it("checks config.json", () => {
    assert.deepEqual(parseConfig({ api: "https://api/prod/", auth: { kind: "cognito" } }), {
      api: "https://api/prod",
      auth: { kind: "cognito" },
    });
    assert.throws(() => parseConfig({ auth: { kind: "dev" } }), /api/);
    assert.throws(() => parseConfig({ api: "" }), /auth.kind/);
  });

  it("puts the count of waiting chats in front of the title", () => {
    assert.equal(titleText("Chats", 0), "Chats · Klantreis");
    assert.equal(titleText("Chats", 3), "(3) Chats · Klantreis");
  });
});
