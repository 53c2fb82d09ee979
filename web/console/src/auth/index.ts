/** The sign-in providers by config.json's `auth.kind`: `dev` locally (make dev), `cognito`
 * deployed (Cognito's hosted UI with the authorization-code flow and PKCE, cognito.tsx). */
import type { ConsoleConfig } from "../config";
import { cognitoProvider } from "./cognito";
import { devProvider } from "./dev";
import type { AuthProvider } from "./session";

export const providers: Record<string, AuthProvider> = {
  dev: devProvider,
  cognito: cognitoProvider,
};

export function providerFor(config: ConsoleConfig): AuthProvider {
  const provider = providers[config.auth.kind];
  if (!provider) throw new Error(`config.json names the sign-in "${config.auth.kind}", which this console has not`);
  return provider;
}

export type { AuthProvider, Session, SignInProps } from "./session";
