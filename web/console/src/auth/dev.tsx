/** The local stack's sign-in: one button per seeded user, each fetching a token from
 * `/dev/token` (make dev issues them; a deployed stack has no such route). */
import { useState } from "preact/hooks";
import { isDevAuth } from "../config";
import { storedSession, tokenExpired, type AuthProvider, type Session, type SignInProps } from "./session";

function DevSignIn({ config, onSignedIn }: SignInProps) {
  const [problem, setProblem] = useState<string | null>(null);
  const auth = config.auth;
  if (!isDevAuth(auth)) return <p role="alert">config.json has no dev users.</p>;

  const signIn = async (sub: string) => {
    const user = auth.users.find((u) => u.sub === sub);
    if (!user) return;
    setProblem(null);
    const query = new URLSearchParams({ site_id: auth.site_id, sub: user.sub, role: user.role });
    try {
      const answer = await fetch(`${config.api}${auth.token_path}?${query}`);
      if (!answer.ok) throw new Error(`${auth.token_path} answered ${answer.status}`);
      const { token } = (await answer.json()) as { token: string };
      const session: Session = { token, sub: user.sub, role: user.role, site_id: auth.site_id, name: user.name };
      storedSession.write(session);
      onSignedIn(session);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };

  return (
    <section class="sign-in" data-kr="dev-login" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to the Klantreis console</h1>
      <p>Local stack: pick one of the demo site's users.</p>
      <ul class="users">
        {auth.users.map((user) => (
          <li key={user.sub}>
            <button type="button" data-user={user.sub} onClick={() => void signIn(user.sub)}>
              {user.name} <span class="role">{user.role}</span>
            </button>
          </li>
        ))}
      </ul>
      {problem && <p role="alert" class="error">Sign-in failed: {problem}</p>}
    </section>
  );
}

export const devProvider: AuthProvider = {
  async restore() {
    const session = storedSession.read();
    return session && !tokenExpired(session.token, Date.now()) ? session : null;
  },
  SignIn: DevSignIn,
  async signOut() {
    storedSession.clear();
  },
};
