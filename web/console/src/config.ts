/** The console's configuration: `config.json` served next to the console. Locally `make dev`
 * answers it (the dev sign-in and its seeded users); deployed, the publish script writes it from
 * the stack's outputs (the API's URL and the Cognito sign-in). */

export type Role = "agent" | "operator";

export interface DevUser {
  sub: string;
  role: Role;
  name: string;
}

export interface DevAuth {
  kind: "dev";
  /** The site whose users sign in (a deployed sign-in reads it from the user's token). */
  site_id: string;
  /** The local stack's token endpoint (`/dev/token`), relative to `api`. */
  token_path: string;
  users: DevUser[];
}

/** Any other sign-in (e.g. `cognito`): its settings as the publish script writes them, read by
 * the provider registered under its `kind` in auth/index.ts. */
export interface OtherAuth {
  kind: string;
  [setting: string]: unknown;
}

export interface ConsoleConfig {
  /** The API's base URL without a trailing slash; "" for the console's own origin. */
  api: string;
  auth: DevAuth | OtherAuth;
}

export function isDevAuth(auth: ConsoleConfig["auth"]): auth is DevAuth {
  return auth.kind === "dev" && Array.isArray((auth as DevAuth).users);
}

/** Checks the parsed `config.json`; throws with what is wrong. */
export function parseConfig(raw: unknown): ConsoleConfig {
  if (typeof raw !== "object" || raw === null) throw new Error("config.json is not an object");
  const config = raw as Record<string, unknown>;
  if (typeof config["api"] !== "string") throw new Error("config.json: api must be a string");
  const auth = config["auth"] as Record<string, unknown> | undefined;
  if (!auth || typeof auth["kind"] !== "string") throw new Error("config.json: auth.kind is missing");
  return {
    api: config["api"].replace(/\/+$/, ""),
    auth: auth as ConsoleConfig["auth"],
  };
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const answer = await fetch("config.json", { cache: "no-store" });
  if (!answer.ok) throw new Error(`config.json answered ${answer.status}`);
  return parseConfig(await answer.json());
}
