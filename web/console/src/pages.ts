/** The console's page registry. An area (agent, operator) lists its pages in its own folder
 * (src/agent/pages.ts, src/operator/pages.ts): adding a page is one entry there. The URL is
 * `#/<page id>/<params…>`, so the console is static files on any host. */
import type { ComponentType, VNode } from "preact";
import type { Api } from "./api";
import type { ConsoleConfig, Role } from "./config";
import type { Session } from "./auth/session";

export interface PageContext {
  api: Api;
  session: Session;
  config: ConsoleConfig;
  /** The URL's parts after the page id (`#/chats/c-1` → ["c-1"]). */
  params: string[];
  /** Goes to a page (`navigate("chats", chatId)`). */
  navigate(page: string, ...params: string[]): void;
}

export interface ConsolePage {
  /** The first part of the URL's hash: `#/<id>`. */
  id: string;
  /** The navigation's and the document's title. */
  title: string;
  roles: readonly Role[];
  render(context: PageContext): VNode;
}

/** What an area adds around its pages: components always mounted while its user is signed in
 * (e.g. the agent's presence), items in the header, and work to do before signing out. */
export interface Area {
  /** Whose area it is: its pages, frame and header items are for this role only. */
  role: Role;
  pages: ConsolePage[];
  /** Wraps the whole signed-in layout (header included), e.g. to hold a shared state. */
  Frame?: ComponentType<{ context: Omit<PageContext, "params">; children: VNode }>;
  /** Shown in the header, inside the Frame. */
  HeaderItems?: ComponentType<{ context: Omit<PageContext, "params"> }>;
  /** Runs before the session is forgotten (e.g. going offline); failures are shown, not fatal. */
  beforeSignOut?(context: Omit<PageContext, "params">): Promise<void>;
}

/** `#/chats/c-1` → { page: "chats", params: ["c-1"] }. */
export function parseHash(hash: string): { page: string; params: string[] } {
  const parts = hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((part) => decodeURIComponent(part));
  return { page: parts[0] ?? "", params: parts.slice(1) };
}

export function hashOf(page: string, ...params: string[]): string {
  return `#/${[page, ...params].map(encodeURIComponent).join("/")}`;
}

/** The pages a role sees, in the order of the areas. */
export function pagesFor(role: Role, areas: readonly Area[]): ConsolePage[] {
  return areas.flatMap((area) => area.pages).filter((page) => page.roles.includes(role));
}
