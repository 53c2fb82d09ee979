/** The sign-in providers by config.json's `auth.kind`. A deployed sign-in (Cognito's hosted UI
 * with the authorization-code flow and PKCE) plugs in here: a module in auth/ exporting an
 * AuthProvider, registered under the kind its config.json names. */
import type { ConsoleConfig } from "../config";
import { devProvider } from "./dev";
import type { AuthProvider } from "./session";

export const providers: Record<string, AuthProvider> = {
  dev: devProvider,
};

export function providerFor(config: ConsoleConfig): AuthProvider {
  const provider = providers[config.auth.kind];
  if (!provider) throw new Error(`config.json names the sign-in "${config.auth.kind}", which this console has not`);
  return provider;
}

export type { AuthProvider, Session, SignInProps } from "./session";
