/** The deployed console's sign-in: Cognito's hosted UI with the authorization-code flow and PKCE
 * (pkce.ts), chosen when config.json's `auth.kind` is `cognito` (infra/scripts/publish_console.py
 * writes it from the stack outputs). The API takes the ID token; its claims carry the user's
 * site and role. */
import { useState } from "preact/hooks";
import type { ConsoleConfig, Role } from "../config";
import {
  beginSignIn,
  completeSignIn,
  currentTokens,
  isCallback,
  isCognitoAuth,
  signOut,
  withoutCallbackParameters,
  type CognitoAuth,
  type PkceDeps,
  type Tokens,
} from "./pkce";
import { tokenClaims, type AuthProvider, type Session, type SignInProps } from "./session";

function browserDeps(): PkceDeps {
  return { crypto, fetch: fetch.bind(globalThis), storage: sessionStorage, now: () => Date.now() };
}

function settingsOf(config: ConsoleConfig): CognitoAuth {
  if (!isCognitoAuth(config.auth)) {
    throw new Error("config.json's auth names Cognito without an https domain, client_id and redirect_uri");
  }
  return config.auth;
}

/** The session of Cognito's tokens; null when the ID token lacks a site or a console role. */
export function sessionOf(tokens: Tokens): Session | null {
  const claims = tokenClaims(tokens.idToken) ?? {};
  const role = claims["role"];
  const site = claims["site_id"];
  const sub = claims["sub"];
  if ((role !== "agent" && role !== "operator") || typeof site !== "string" || typeof sub !== "string") return null;
  const name = [claims["name"], claims["email"], claims["cognito:username"]].find((v) => typeof v === "string" && v !== "");
  return { token: tokens.idToken, sub, role: role as Role, site_id: site, name: (name as string | undefined) ?? sub };
}

function CognitoSignIn({ config }: SignInProps) {
  const [problem, setProblem] = useState<string | null>(null);
  const [leaving, setLeaving] = useState(false);
  const start = async () => {
    setProblem(null);
    setLeaving(true);
    try {
      location.assign(await beginSignIn(settingsOf(config), browserDeps()));
    } catch (error) {
      setLeaving(false);
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <section class="sign-in" data-kr="cognito-login" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to the Klantreis console</h1>
      <p>You sign in on the Klantreis sign-in page and come back here.</p>
      <button type="button" data-kr="sign-in" disabled={leaving} onClick={() => void start()}>
        {leaving ? "Going to the sign-in page…" : "Sign in"}
      </button>
      {problem && (
        <p role="alert" class="error">
          Sign-in failed: {problem}
        </p>
      )}
    </section>
  );
}

let renewing: Promise<Session | null> | null = null;

export const cognitoProvider: AuthProvider = {
  async restore(config) {
    const settings = settingsOf(config);
    const deps = browserDeps();
    let tokens: Tokens | null;
    if (isCallback(location.href)) {
      const callback = location.href;
      // The code is single-use and must not stay in the address bar or the history.
      history.replaceState(null, "", withoutCallbackParameters(callback));
      tokens = await completeSignIn(settings, callback, deps);
    } else {
      tokens = await currentTokens(settings, deps);
    }
    if (tokens === null) return null;
    const session = sessionOf(tokens);
    if (session === null) throw new Error("Your account has no Klantreis site or role: ask an operator to set them.");
    return session;
  },
  renew(config) {
    // Checks that come due while a refresh is on its way share it (one refresh, one new token).
    renewing ??= currentTokens(settingsOf(config), browserDeps())
      .then((tokens) => (tokens === null ? null : sessionOf(tokens)))
      .finally(() => {
        renewing = null;
      });
    return renewing;
  },
  SignIn: CognitoSignIn,
  async signOut(config) {
    location.assign(await signOut(settingsOf(config), browserDeps()));
  },
};
