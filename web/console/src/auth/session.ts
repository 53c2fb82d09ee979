/** A signed-in user of the console, and what every sign-in provider offers. */
import type { ComponentType } from "preact";
import type { ConsoleConfig, Role } from "../config";

export interface Session {
  /** The bearer token every API call sends (`Authorization: Bearer …`). */
  token: string;
  sub: string;
  role: Role;
  site_id: string;
  name: string;
}

export interface SignInProps {
  config: ConsoleConfig;
  onSignedIn(session: Session): void;
}

/** A way to sign in. The dev provider (auth/dev.tsx) is the local stack's; a deployed stack's
 * provider (Cognito's hosted UI with PKCE) registers itself under its `kind` in auth/index.ts. */
export interface AuthProvider {
  /** The session of an earlier sign-in in this tab (or of a sign-in redirect that just came
   * back), or null. */
  restore(config: ConsoleConfig): Promise<Session | null>;
  /** What the signed-out console shows. */
  SignIn: ComponentType<SignInProps>;
  /** Forgets the session (and may leave for the provider's own sign-out page). */
  signOut(config: ConsoleConfig, session: Session): Promise<void>;
}

const STORED = "kr_console_session";

/** The session kept in sessionStorage: a tab keeps its user across reloads, closing it forgets. */
export const storedSession = {
  read(): Session | null {
    try {
      const raw = sessionStorage.getItem(STORED);
      return raw ? (JSON.parse(raw) as Session) : null;
    } catch {
      return null;
    }
  },
  write(session: Session): void {
    sessionStorage.setItem(STORED, JSON.stringify(session));
  },
  clear(): void {
    sessionStorage.removeItem(STORED);
  },
};

/** The claims of a token: a local one (`base64url(claims).signature`) or a JWT
 * (`header.claims.signature`); null when neither. Read for display and expiry only: the API
 * verifies the token. */
export function tokenClaims(token: string): Record<string, unknown> | null {
  const parts = token.split(".");
  const payload = parts.length === 3 ? parts[1] : parts.length === 2 ? parts[0] : undefined;
  if (!payload) return null;
  try {
    const text = atob(payload.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (payload.length % 4)) % 4));
    const claims: unknown = JSON.parse(text);
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Whether the token's `exp` (seconds) has passed at `nowMs`; a token without one never expires here. */
export function tokenExpired(token: string, nowMs: number): boolean {
  const expires = Number(tokenClaims(token)?.["exp"]);
  return Number.isFinite(expires) && expires * 1000 <= nowMs;
}
