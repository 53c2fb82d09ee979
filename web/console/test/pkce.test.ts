import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { test } from "node:test";
import {
  beginSignIn,
  challengeOf,
  completeSignIn,
  currentTokens,
  isCallback,
  isCognitoAuth,
  loadTokens,
  signOut,
  signOutUrl,
  SignInError,
  withoutCallbackParameters,
  type CognitoAuth,
  type PkceDeps,
} from "../src/auth/pkce";
import { MemoryStore } from "../../widget/test/fakes";

const crypto = webcrypto as unknown as Crypto;
const CONFIG: CognitoAuth = {
  kind: "cognito",
  domain: "https://klantreis-prod-1.auth.eu-west-1.amazoncognito.com",
  client_id: "client-1",
  redirect_uri: "https://d111.cloudfront.net/console/",
};

function claimsOf(token: string): unknown {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());
}

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256" })}.${part(claims)}.signature`;
}

/** Cognito's hosted UI and token endpoint as far as the console meets them: it remembers the
 * challenge of each code it hands out and exchanges a code once, for the verifier that hashes
 * to it, as Cognito does for a public client. */
class FakeCognito {
  readonly requests: { url: string; form: URLSearchParams }[] = [];
  private readonly codes = new Map<string, { challenge: string; redirect: string }>();
  private readonly refreshTokens = new Set<string>();
  revoked: string[] = [];
  failNext: number | null = null;
  issued = 0;

  /** The browser at the authorize URL: signs the user in and answers the callback URL. */
  authorize(url: string): string {
    const query = new URL(url).searchParams;
    assert.equal(new URL(url).origin + new URL(url).pathname, `${CONFIG.domain}/oauth2/authorize`);
    assert.equal(query.get("code_challenge_method"), "S256");
    const code = `code-${this.codes.size + 1}`;
    this.codes.set(code, { challenge: query.get("code_challenge") ?? "", redirect: query.get("redirect_uri") ?? "" });
    return `${query.get("redirect_uri")}?code=${code}&state=${encodeURIComponent(query.get("state") ?? "")}`;
  }

  readonly fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const form = new URLSearchParams(String(init?.body ?? ""));
    this.requests.push({ url, form });
    assert.equal(init?.method, "POST");
    if (this.failNext !== null) {
      const status = this.failNext;
      this.failNext = null;
      return Response.json({ error: "invalid_grant" }, { status });
    }
    if (url.endsWith("/oauth2/revoke")) {
      this.revoked.push(form.get("token") ?? "");
      return new Response("", { status: 200 });
    }
    assert.equal(url, `${CONFIG.domain}/oauth2/token`);
    assert.equal(form.get("client_id"), CONFIG.client_id);
    if (form.get("grant_type") === "authorization_code") {
      const pending = this.codes.get(form.get("code") ?? "");
      this.codes.delete(form.get("code") ?? "");
      const verifier = form.get("code_verifier") ?? "";
      if (!pending || pending.redirect !== form.get("redirect_uri")) return Response.json({ error: "invalid_grant" }, { status: 400 });
      if ((await challengeOf(crypto, verifier)) !== pending.challenge) return Response.json({ error: "invalid_grant" }, { status: 400 });
      return Response.json(this.tokens(true));
    }
    if (form.get("grant_type") === "refresh_token" && this.refreshTokens.has(form.get("refresh_token") ?? "")) {
      return Response.json(this.tokens(false));
    }
    return Response.json({ error: "invalid_grant" }, { status: 400 });
  }) as typeof fetch;

  private tokens(withRefresh: boolean): Record<string, unknown> {
    this.issued += 1;
    const body: Record<string, unknown> = {
      id_token: jwt({ sub: "mirjam-sub", site_id: "demo", role: "agent", n: this.issued }),
      access_token: `access-${this.issued}`,
      expires_in: 3600,
      token_type: "Bearer",
    };
    if (withRefresh) {
      const refresh = `refresh-${this.issued}`;
      this.refreshTokens.add(refresh);
      body.refresh_token = refresh;
    }
    return body;
  }
}

function setup(): { cognito: FakeCognito; deps: PkceDeps; clock: { now: number } } {
  const cognito = new FakeCognito();
  const clock = { now: 1_800_000_000_000 };
  return { cognito, clock, deps: { crypto, fetch: cognito.fetch, storage: new MemoryStore(), now: () => clock.now } };
}

test("the S256 challenge is RFC 7636's worked example", async () => {
  assert.equal(
    await challengeOf(crypto, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  );
});

test("the authorize URL asks the hosted UI for a code with an S256 challenge of a fresh verifier", async () => {
  const { deps } = setup();
  const first = new URL(await beginSignIn(CONFIG, deps));
  const second = new URL(await beginSignIn(CONFIG, deps));
  assert.equal(`${first.origin}${first.pathname}`, `${CONFIG.domain}/oauth2/authorize`);
  const query = first.searchParams;
  assert.equal(query.get("response_type"), "code");
  assert.equal(query.get("client_id"), "client-1");
  assert.equal(query.get("redirect_uri"), CONFIG.redirect_uri);
  assert.equal(query.get("scope"), "openid email profile");
  assert.equal(query.get("code_challenge_method"), "S256");
  assert.match(query.get("code_challenge") ?? "", /^[A-Za-z0-9_-]{43}$/);
  assert.match(query.get("state") ?? "", /^[A-Za-z0-9_-]{43}$/);
  // every sign-in has its own state and challenge
  assert.notEqual(query.get("state"), second.searchParams.get("state"));
  assert.notEqual(query.get("code_challenge"), second.searchParams.get("code_challenge"));
});

test("a sign-in exchanges the code with the verifier and keeps the tokens", async () => {
  const { cognito, deps, clock } = setup();
  const callback = cognito.authorize(await beginSignIn(CONFIG, deps));
  assert.ok(isCallback(callback));
  const tokens = await completeSignIn(CONFIG, callback, deps);
  assert.deepEqual(claimsOf(tokens.idToken), { sub: "mirjam-sub", site_id: "demo", role: "agent", n: 1 });
  assert.equal(tokens.refreshToken, "refresh-1");
  assert.equal(tokens.expiresAt, clock.now + 3_600_000);
  assert.deepEqual(loadTokens(deps.storage), tokens);
  const [exchange] = cognito.requests;
  assert.equal(exchange?.form.get("grant_type"), "authorization_code");
  assert.match(exchange?.form.get("code_verifier") ?? "", /^[A-Za-z0-9_-]{64}$/);
  assert.equal(withoutCallbackParameters(callback), CONFIG.redirect_uri);
});

test("a callback whose state is not this tab's is refused without asking for tokens", async () => {
  const { cognito, deps } = setup();
  const callback = cognito.authorize(await beginSignIn(CONFIG, deps));
  const forged = callback.replace(/state=[^&]+/, "state=someone-elses");
  await assert.rejects(completeSignIn(CONFIG, forged, deps), (e: unknown) => e instanceof SignInError && e.code === "state_mismatch");
  // the pending sign-in is used up: replaying the real callback now fails too
  await assert.rejects(completeSignIn(CONFIG, callback, deps), (e: unknown) => e instanceof SignInError && e.code === "no_pending_sign_in");
  assert.equal(cognito.requests.length, 0);
  assert.equal(loadTokens(deps.storage), null);
});

test("a code exchanged with another verifier is refused by the token endpoint", async () => {
  const { cognito, deps } = setup();
  const stolen = cognito.authorize(await beginSignIn(CONFIG, deps));
  // an attacker's tab with its own pending sign-in (and so its own verifier) replays the code
  const attacker: PkceDeps = { ...deps, storage: new MemoryStore() };
  const state = new URL(await beginSignIn(CONFIG, attacker)).searchParams.get("state") ?? "";
  const replayed = stolen.replace(/state=[^&]+/, `state=${state}`);
  await assert.rejects(completeSignIn(CONFIG, replayed, attacker), (e: unknown) => e instanceof SignInError && e.code === "invalid_grant");
});

test("an error from the hosted UI is reported with its code", async () => {
  const { deps } = setup();
  const state = new URL(await beginSignIn(CONFIG, deps)).searchParams.get("state") ?? "";
  const callback = `${CONFIG.redirect_uri}?error=access_denied&error_description=User+cancelled&state=${state}`;
  assert.ok(isCallback(callback));
  await assert.rejects(completeSignIn(CONFIG, callback, deps), (e: unknown) => e instanceof SignInError && e.code === "access_denied" && e.message === "User cancelled");
});

test("tokens near their expiry are refreshed, keeping the refresh token", async () => {
  const { cognito, deps, clock } = setup();
  const first = await completeSignIn(CONFIG, cognito.authorize(await beginSignIn(CONFIG, deps)), deps);
  // fresh tokens are used as they are
  clock.now += 30 * 60_000;
  assert.deepEqual(await currentTokens(CONFIG, deps), first);
  // within a minute of expiry they are refreshed
  clock.now += 29.5 * 60_000;
  const refreshed = await currentTokens(CONFIG, deps);
  assert.equal(refreshed?.accessToken, "access-2");
  assert.equal(refreshed?.refreshToken, "refresh-1");
  assert.equal(refreshed?.expiresAt, clock.now + 3_600_000);
  assert.deepEqual(loadTokens(deps.storage), refreshed);
  assert.equal(cognito.requests.at(-1)?.form.get("grant_type"), "refresh_token");
});

test("a refused refresh signs the tab out", async () => {
  const { cognito, deps, clock } = setup();
  await completeSignIn(CONFIG, cognito.authorize(await beginSignIn(CONFIG, deps)), deps);
  clock.now += 3_600_000;
  cognito.failNext = 400;
  assert.equal(await currentTokens(CONFIG, deps), null);
  assert.equal(loadTokens(deps.storage), null);
});

test("sign-out forgets the tokens, revokes the refresh token and goes to the hosted UI's logout", async () => {
  const { cognito, deps } = setup();
  await completeSignIn(CONFIG, cognito.authorize(await beginSignIn(CONFIG, deps)), deps);
  const url = new URL(await signOut(CONFIG, deps));
  assert.equal(`${url.origin}${url.pathname}`, `${CONFIG.domain}/logout`);
  assert.equal(url.searchParams.get("client_id"), "client-1");
  assert.equal(url.searchParams.get("logout_uri"), CONFIG.redirect_uri);
  assert.deepEqual(cognito.revoked, ["refresh-1"]);
  assert.equal(loadTokens(deps.storage), null);
  assert.equal(await currentTokens(CONFIG, deps), null);
  assert.equal(signOutUrl(CONFIG), url.toString());
});

test("only an auth naming an https sign-in domain and a client is Cognito's", () => {
  assert.ok(isCognitoAuth(CONFIG));
  assert.ok(!isCognitoAuth({ kind: "dev", users: [] }));
  assert.ok(!isCognitoAuth({ ...CONFIG, domain: "http://plain" }));
  assert.ok(!isCognitoAuth({ ...CONFIG, client_id: "" }));
  assert.ok(!isCognitoAuth(null));
});
