// Cognito hosted-UI sign-in for the deployed console: OAuth 2.0 authorization-code flow with PKCE
// (RFC 7636, S256) for a public client (no secret), token refresh, revocation and sign-out.
// Pure: WebCrypto, fetch, storage and the clock come in as dependencies, so node's test runner
// drives it the way a browser does.

/** config.json's `auth` for the deployed console, as infra/scripts/publish_console.py writes it
 * from the stack outputs. */
export interface CognitoAuth {
  kind: "cognito";
  /** The hosted UI's origin, e.g. https://klantreis-prod-123.auth.eu-west-1.amazoncognito.com */
  domain: string;
  client_id: string;
  /** The console's own URL: the app client's callback and sign-out URL. */
  redirect_uri: string;
}

export interface Tokens {
  /** What the API takes as `Authorization: Bearer` (its claims carry site_id and role). */
  idToken: string;
  accessToken: string;
  refreshToken: string | null;
  /** Epoch milliseconds at which the ID and access tokens expire. */
  expiresAt: number;
}

/** The small part of Storage the flow uses (sessionStorage in the browser). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface PkceDeps {
  crypto: Crypto;
  fetch: typeof fetch;
  storage: KeyValueStore;
  now: () => number;
}

export const SCOPES = "openid email profile";
/** A token this close to its expiry is refreshed before use. */
export const REFRESH_MARGIN_MS = 60_000;
const PENDING_KEY = "kr_console_pkce";
const TOKENS_KEY = "kr_console_tokens";

/** Why a sign-in or refresh failed: `code` is OAuth's error (invalid_grant, access_denied, ...)
 * or ours (state_mismatch, no_pending_sign_in, bad_response). */
export class SignInError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "SignInError";
    this.code = code;
  }
}

export function isCognitoAuth(value: unknown): value is CognitoAuth {
  if (typeof value !== "object" || value === null) return false;
  const auth = value as Record<string, unknown>;
  return (
    auth.kind === "cognito" &&
    typeof auth.domain === "string" &&
    auth.domain.startsWith("https://") &&
    typeof auth.client_id === "string" &&
    auth.client_id !== "" &&
    typeof auth.redirect_uri === "string"
  );
}

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** 32 random bytes as base64url: 43 characters of the unreserved set, as RFC 7636 asks. */
export function randomToken(crypto: Crypto, bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The S256 code challenge: base64url(SHA-256(ASCII(verifier))). */
export async function challengeOf(crypto: Crypto, verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

interface Pending {
  state: string;
  verifier: string;
}

/** Starts a sign-in: keeps a fresh verifier and state for the callback, returns the hosted UI's
 * authorize URL to navigate to. */
export async function beginSignIn(config: CognitoAuth, deps: PkceDeps): Promise<string> {
  const pending: Pending = { state: randomToken(deps.crypto), verifier: randomToken(deps.crypto, 48) };
  deps.storage.setItem(PENDING_KEY, JSON.stringify(pending));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: SCOPES,
    state: pending.state,
    code_challenge: await challengeOf(deps.crypto, pending.verifier),
    code_challenge_method: "S256",
  });
  return `${config.domain}/oauth2/authorize?${query}`;
}

/** Whether a URL is the hosted UI's redirect back (a code or an error, with a state). */
export function isCallback(url: string): boolean {
  const query = new URL(url).searchParams;
  return query.has("state") && (query.has("code") || query.has("error"));
}

/** The callback URL without its OAuth parameters (what the address bar should show after). */
export function withoutCallbackParameters(url: string): string {
  const clean = new URL(url);
  for (const name of ["code", "state", "error", "error_description"]) clean.searchParams.delete(name);
  return clean.toString();
}

/** Finishes a sign-in from the callback URL: the state must be the one this tab sent (once),
 * then the code is exchanged at /oauth2/token with the verifier. */
export async function completeSignIn(config: CognitoAuth, callbackUrl: string, deps: PkceDeps): Promise<Tokens> {
  const query = new URL(callbackUrl).searchParams;
  const raw = deps.storage.getItem(PENDING_KEY);
  deps.storage.removeItem(PENDING_KEY);
  const pending = parsePending(raw);
  if (pending === null) throw new SignInError("no_pending_sign_in", "No sign-in was started in this tab.");
  if (!sameText(query.get("state") ?? "", pending.state)) {
    throw new SignInError("state_mismatch", "The sign-in answer does not belong to this tab's sign-in.");
  }
  const error = query.get("error");
  if (error !== null) throw new SignInError(error, query.get("error_description") ?? error);
  const code = query.get("code");
  if (!code) throw new SignInError("bad_response", "The sign-in answer has no code.");
  const tokens = await tokenRequest(
    config,
    {
      grant_type: "authorization_code",
      client_id: config.client_id,
      code,
      redirect_uri: config.redirect_uri,
      code_verifier: pending.verifier,
    },
    null,
    deps,
  );
  storeTokens(deps.storage, tokens);
  return tokens;
}

/** New ID and access tokens from the refresh token (Cognito keeps the refresh token itself). */
export async function refresh(config: CognitoAuth, refreshToken: string, deps: PkceDeps): Promise<Tokens> {
  const tokens = await tokenRequest(
    config,
    { grant_type: "refresh_token", client_id: config.client_id, refresh_token: refreshToken },
    refreshToken,
    deps,
  );
  storeTokens(deps.storage, tokens);
  return tokens;
}

/** The stored tokens, refreshed when they are about to expire; null when signed out or the
 * refresh is refused (then a new sign-in is needed). */
export async function currentTokens(config: CognitoAuth, deps: PkceDeps): Promise<Tokens | null> {
  const tokens = loadTokens(deps.storage);
  if (tokens === null) return null;
  if (tokens.expiresAt - deps.now() > REFRESH_MARGIN_MS) return tokens;
  if (tokens.refreshToken === null) {
    clearTokens(deps.storage);
    return null;
  }
  try {
    return await refresh(config, tokens.refreshToken, deps);
  } catch (error) {
    if (error instanceof SignInError) {
      clearTokens(deps.storage);
      return null;
    }
    throw error;
  }
}

/** Signs out: forgets the tokens, revokes the refresh token (best effort: the hosted UI's session
 * ends at /logout anyway) and returns the /logout URL to navigate to. */
export async function signOut(config: CognitoAuth, deps: PkceDeps): Promise<string> {
  const tokens = loadTokens(deps.storage);
  clearTokens(deps.storage);
  if (tokens?.refreshToken) {
    try {
      await deps.fetch(`${config.domain}/oauth2/revoke`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: tokens.refreshToken, client_id: config.client_id }).toString(),
      });
    } catch {
      // Unreachable sign-in domain: the refresh token is gone from this tab and expires on its own.
    }
  }
  return signOutUrl(config);
}

export function signOutUrl(config: CognitoAuth): string {
  const query = new URLSearchParams({ client_id: config.client_id, logout_uri: config.redirect_uri });
  return `${config.domain}/logout?${query}`;
}

export function loadTokens(storage: KeyValueStore): Tokens | null {
  const raw = storage.getItem(TOKENS_KEY);
  if (raw === null) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== "object" || value === null) return null;
    const t = value as Record<string, unknown>;
    if (typeof t.idToken !== "string" || typeof t.accessToken !== "string" || typeof t.expiresAt !== "number") {
      return null;
    }
    return {
      idToken: t.idToken,
      accessToken: t.accessToken,
      refreshToken: typeof t.refreshToken === "string" ? t.refreshToken : null,
      expiresAt: t.expiresAt,
    };
  } catch {
    return null;
  }
}

export function storeTokens(storage: KeyValueStore, tokens: Tokens): void {
  storage.setItem(TOKENS_KEY, JSON.stringify(tokens));
}

export function clearTokens(storage: KeyValueStore): void {
  storage.removeItem(TOKENS_KEY);
}

async function tokenRequest(
  config: CognitoAuth,
  form: Record<string, string>,
  keptRefreshToken: string | null,
  deps: PkceDeps,
): Promise<Tokens> {
  const response = await deps.fetch(`${config.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = await response.json();
    if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: handled as a bad response below
  }
  if (!response.ok) {
    const code = typeof body.error === "string" ? body.error : "bad_response";
    throw new SignInError(code, `The sign-in service refused the request (${response.status} ${code}).`);
  }
  const { id_token: idToken, access_token: accessToken, refresh_token: refreshToken, expires_in: expiresIn } = body;
  if (typeof idToken !== "string" || typeof accessToken !== "string" || typeof expiresIn !== "number") {
    throw new SignInError("bad_response", "The sign-in service answered without tokens.");
  }
  return {
    idToken,
    accessToken,
    refreshToken: typeof refreshToken === "string" ? refreshToken : keptRefreshToken,
    expiresAt: deps.now() + expiresIn * 1000,
  };
}

function parsePending(raw: string | null): Pending | null {
  if (raw === null) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== "object" || value === null) return null;
    const { state, verifier } = value as Record<string, unknown>;
    return typeof state === "string" && typeof verifier === "string" ? { state, verifier } : null;
  } catch {
    return null;
  }
}

/** Compares without stopping at the first difference. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
