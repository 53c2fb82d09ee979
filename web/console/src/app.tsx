/** The console's shell: sign-in, then the layout of the user's role (header with the user, role
 * and sign-out; the navigation; the current page). */
import type { VNode } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { Api, describeError } from "./api";
import type { AuthProvider, Session } from "./auth";
import type { ConsoleConfig } from "./config";
import { hashOf, parseHash, pagesFor, type Area, type PageContext } from "./pages";
import { setPageTitle } from "./title";

export function App(props: { config: ConsoleConfig; provider: AuthProvider; areas: readonly Area[] }) {
  const { config, provider, areas } = props;
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    provider.restore(config).then(setSession, (error: unknown) => {
      setProblem(describeError(error));
      setSession(null);
    });
  }, [config, provider]);

  if (session === undefined) return <p class="boot">Loading the console…</p>;
  if (session === null) {
    setPageTitle("Sign in");
    return (
      <main id="main" class="signed-out">
        {problem && <p role="alert" class="banner error">{problem}</p>}
        <provider.SignIn config={config} onSignedIn={setSession} />
      </main>
    );
  }
  return (
    <SignedIn
      key={session.token}
      config={config}
      session={session}
      areas={areas.filter((area) => area.role === session.role)}
      onSignOut={async (context) => {
        for (const area of areas.filter((a) => a.role === session.role)) {
          try {
            await area.beforeSignOut?.(context);
          } catch (error) {
            setProblem(`Before signing out: ${describeError(error)}`);
          }
        }
        await provider.signOut(config, session);
        setSession(null);
      }}
      onExpired={() => {
        setProblem("Your session has expired: sign in again.");
        void provider.signOut(config, session).then(() => setSession(null));
      }}
    />
  );
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener("hashchange", changed);
    changed(); // a hash set between the first render and now is not lost
    return () => removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

function SignedIn(props: {
  config: ConsoleConfig;
  session: Session;
  areas: readonly Area[];
  onSignOut(context: Omit<PageContext, "params">): Promise<void>;
  onExpired(): void;
}) {
  const { config, session, areas, onSignOut, onExpired } = props;
  const hash = useHash();
  const [signingOut, setSigningOut] = useState(false);
  const api = useMemo(() => new Api(config.api, session.token, onExpired), [config.api, session.token]);
  const base: Omit<PageContext, "params"> = useMemo(
    () => ({
      api,
      session,
      config,
      navigate: (page: string, ...params: string[]) => {
        location.hash = hashOf(page, ...params);
      },
    }),
    [api, session, config],
  );
  const pages = pagesFor(session.role, areas);
  const route = parseHash(hash);
  const page = pages.find((p) => p.id === route.page) ?? pages[0];

  useEffect(() => {
    if (page) setPageTitle(page.title);
  }, [page?.id]);

  let layout: VNode = (
    <div class="layout">
      <a class="skip" href="#main">
        Skip to the page
      </a>
      <header class="top">
        <span class="brand">Klantreis</span>
        <nav aria-label="Console">
          <ul>
            {pages.map((p) => (
              <li key={p.id}>
                <a href={hashOf(p.id)} aria-current={p === page ? "page" : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="header-items">
          {areas.map((area, index) => (area.HeaderItems ? <area.HeaderItems key={index} context={base} /> : null))}
        </div>
        <div class="user" data-kr="user">
          <span class="user-name">{session.name}</span> <span class="role">{session.role}</span>
          <button
            type="button"
            data-kr="sign-out"
            disabled={signingOut}
            onClick={() => {
              setSigningOut(true);
              void onSignOut(base);
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page ? page.render({ ...base, params: page.id === route.page ? route.params : [] }) : <NoPages />}
      </main>
    </div>
  );
  for (const area of areas) {
    if (area.Frame) layout = <area.Frame context={base}>{layout}</area.Frame>;
  }
  return layout;
}

function NoPages() {
  return <p class="empty">This console has no pages for your role.</p>;
}
