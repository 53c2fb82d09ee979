/** What the tracker hands the lazily loaded chat chunk (two bundles, one contract). */
export type Lang = "nl" | "en";

export interface WidgetHost {
  /** the open shadow root on `<div id="klantreis">` */
  root: ShadowRoot;
  /** the embed script's data- attributes (site key, API base, language, categories) */
  data: DOMStringMap;
  /** [visitor id, session id] */
  ids(): [string, string];
  /** the chat panel opened (true) or closed (false): the tracker hides its launcher meanwhile */
  shown(open: boolean): void;
}

export interface ChatApi {
  /** Opens the panel: with an accepted offer's id and message, or with the pre-chat step. */
  open(offerId?: string, offerMessage?: string): void;
}

export type MountChat = (host: WidgetHost) => ChatApi;

/** The one global: the command function, with the loaded marker and the chat chunk's hand-in. */
export interface KlantreisGlobal {
  (...args: unknown[]): void;
  q?: ArrayLike<unknown>[];
  /** set once the tracker runs: a second copy of the script stays idle */
  v?: number;
  /** the chat chunk calls this with its mount function once loaded */
  r?: (mount: MountChat) => void;
}

export const CHAT_STATE_KEY = "kr_chat";

/** The API base from `data-api` without a trailing slash; "" is the page's own origin. */
export const apiBase = (data: DOMStringMap): string => (data.api ?? "").replace(/\/+$/, "");

/** The site's language (`data-lang`) when given, else the browser's: Dutch or English. */
export function language(site: string | undefined, browser: string | undefined): Lang {
  return (site || browser || "").toLowerCase().startsWith("nl") ? "nl" : "en";
}

/** `data-categories="dameslaarzen:Dameslaarzen,retour"` -> [["dameslaarzen", "Dameslaarzen"], ["retour", "retour"]] */
export function parseCategories(attribute: string | undefined): [string, string][] {
  return (attribute ?? "")
    .split(",")
    .map((pair): [string, string] => {
      const [value = "", label] = pair.split(":").map((part) => part.trim());
      return [value, label || value];
    })
    .filter(([value]) => value);
}
