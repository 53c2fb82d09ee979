/** The tracker, loaded on every page of the shop: tracking, consent, SPA page views, the GA4
 * dataLayer bridge, idle detection, `decide`, the offer bubble and the chat launcher. The chat and
 * survey UI is a separate file loaded only when needed. Nothing here may throw into the page. */
import { ga4Commands } from "./core/datalayer";
import { DECIDE_AFTER, type Props } from "./core/events";
import { dueIdleMark, idleSeconds } from "./core/idle";
import { read, storage } from "./core/storage";
import { createTracking, type Answer } from "./core/tracking";
import { adopt, el } from "./dom";
import {
  CHAT_STATE_KEY,
  apiBase,
  language,
  type ChatApi,
  type KlantreisGlobal,
  type Lang,
  type MountChat,
  type WidgetHost,
} from "./host";

const OFFER_TIMEOUT_MS = 60_000;
const IDLE_CHECK_MS = 5000;

/** [launcher, offer's accept button, close, the offer's label] */
const TEXTS: Record<Lang, [string, string, string, string]> = {
  nl: ["Chat", "Start de chat", "Sluiten", "Hulp nodig?"],
  en: ["Chat", "Start chat", "Close", "Need help?"],
};

/** Shared with the chat (same shadow root): the host's reset, buttons, the launcher and the bubble. */
const CSS = `:host{all:initial;font:15px/1.4 system-ui,sans-serif;color:#222}
[hidden]{display:none!important}
button{font:inherit;cursor:pointer;border:0;border-radius:20px;padding:10px 18px;background:var(--kr,#6b3410);color:#fff}
.launch,.offer{position:fixed;right:16px;bottom:16px;z-index:2147483000;box-shadow:0 2px 12px #0004}
.offer{max-width:300px;background:#fff;border-radius:12px;padding:14px 40px 14px 16px}
.offer p{margin:0 0 12px}
.x{position:absolute;top:4px;right:4px;padding:4px 10px;background:none;color:inherit;font-size:22px}`;

type Window_ = Window & { klantreis?: KlantreisGlobal } & Record<string, unknown>;

/** Wraps a callback so an error inside stays inside. */
function safe<A extends unknown[]>(run: (...args: A) => unknown): (...args: A) => void {
  return (...args) => {
    try {
      run(...args);
    } catch {
      // never into the shop's page
    }
  };
}

const noop = (): void => undefined;

function start(): void {
  const page = window as unknown as Window_;
  const script = (document.currentScript ?? document.querySelector("script[data-site-key]")) as HTMLScriptElement | null;
  const data = script?.dataset;
  const siteKey = data?.siteKey;
  const previous = page.klantreis;
  if (!script || !data || !siteKey || previous?.v) return;

  const endpoint = (path: string): string => `${apiBase(data)}${path}?site_key=${encodeURIComponent(siteKey)}`;
  const lang = language(data.lang, navigator.language);
  const [chatText, acceptText, closeText, offerText] = TEXTS[lang];

  const tracking = createTracking(
    {
      local: storage("localStorage"),
      // A text/plain body and no custom header: a "simple" request, no CORS preflight.
      post: (path, body, keepalive) =>
        fetch(endpoint(path), { method: "POST", body: JSON.stringify(body), keepalive }).then(
          async (answer): Promise<Answer> => [answer.status, answer.ok ? await answer.json().catch(noop) : null],
          (): Answer => [0, null],
        ),
      beacon: (path, body) => navigator.sendBeacon?.(endpoint(path), JSON.stringify(body)) ?? false,
      now: Date.now,
      url: () => location.href,
    },
    data.consent == "implied",
  );

  // The UI: one open shadow root, created when first needed (the body may not exist yet).
  let root: ShadowRoot | undefined;
  function ui(): ShadowRoot {
    if (!root) {
      const host = el("div", { id: "klantreis" });
      document.body.append(host);
      root = host.attachShadow({ mode: "open" });
      adopt(root, CSS);
    }
    return root;
  }

  let launcher: HTMLButtonElement | undefined;
  let offerId: string | null = null;
  let chatOpen = false;
  const showLauncher = (): void => {
    if (launcher) launcher.hidden = chatOpen || offerId != null;
  };

  // The chat chunk: same directory as this script unless data-chat-src says otherwise.
  let chat: Promise<ChatApi> | undefined;
  const host: Omit<WidgetHost, "root"> = {
    data,
    ids: tracking.ids,
    shown(open) {
      chatOpen = open;
      showLauncher();
      if (!open) launcher?.focus();
    },
  };
  function loadChat(): Promise<ChatApi> {
    chat ??= new Promise<ChatApi>((resolve, reject) => {
      kr.r = (mount: MountChat) => resolve(mount({ ...host, root: ui() }));
      const tag = el("script", { src: data?.chatSrc || new URL("klantreis-chat.js", script?.src).href, async: "" });
      tag.onerror = () => {
        chat = undefined;
        reject();
      };
      document.head.append(tag);
    });
    return chat;
  }
  function openChat(offer?: string, message?: string): void {
    host.shown(true);
    loadChat().then((loaded) => loaded.open(offer, message), () => host.shown(false));
  }

  function showOffer(id: string, message: string): void {
    offerId = id;
    tracking.track("chat_offer_shown", { offer_id: id });
    const box = el("div", { class: "offer", "data-kr": "offer", role: "region", "aria-label": offerText });
    const close = el("button", { class: "x", "data-kr": "offer-close", "aria-label": closeText }, "×");
    const accept = el("button", { class: "accept", "data-kr": "offer-accept" }, acceptText);
    box.append(close, el("p", {}, message), accept);
    ui().append(box);
    showLauncher();
    const answer = (response: "accepted" | "rejected" | "ignored"): void => {
      clearTimeout(timeout);
      box.remove();
      offerId = null;
      tracking.respond(id, response);
      if (response == "accepted") openChat(id, message);
      else showLauncher();
    };
    const timeout = setTimeout(safe(answer), OFFER_TIMEOUT_MS, "ignored");
    accept.onclick = safe(() => answer("accepted"));
    close.onclick = safe(() => answer("rejected"));
  }

  const tab = storage("sessionStorage");
  const chatGoing = (): unknown => read(tab, CHAT_STATE_KEY);

  function ask(idle: number): void {
    if (offerId || chatOpen || chatGoing()) return;
    tracking.decide(idle).then((answer) => {
      if (answer?.offer && answer.offer_id && !offerId && !chatOpen) showOffer(answer.offer_id, answer.message ?? "");
    }, noop);
  }

  // Idle: the time since the shopper last touched the page, checked while the page is visible.
  let lastActivity = Date.now();
  let asked = 0;
  const active = safe(() => {
    lastActivity = Date.now();
    asked = 0;
  });
  for (const type of ["pointerdown", "pointermove", "keydown", "scroll"]) {
    addEventListener(type, active, { capture: true, passive: true });
  }
  setInterval(
    safe(() => {
      if (document.hidden) return;
      const idle = idleSeconds(lastActivity, Date.now());
      const mark = dueIdleMark(idle, asked);
      if (mark) {
        asked = mark;
        ask(idle);
      }
    }),
    IDLE_CHECK_MS,
  );

  function run(command: unknown, argument?: unknown): void {
    if (command == "consent") tracking.consent(argument == "granted");
    else if (command == "open") openChat();
    else if (command == "flush") void tracking.flush();
    else if (typeof command == "string" && tracking.track(command, argument as Props) && DECIDE_AFTER.includes(command)) {
      ask(idleSeconds(lastActivity, Date.now()));
    }
  }
  const kr: KlantreisGlobal = (...args: unknown[]) => safe(run)(args[0], args[1]);
  kr.v = 1;
  page.klantreis = kr;

  // Page views: now, and on every SPA navigation that changes the address.
  let lastUrl = "";
  const pageView = safe(() => {
    if (location.href != lastUrl) {
      lastUrl = location.href;
      run("page_view");
    }
  });
  pageView();
  for (const method of ["pushState", "replaceState"] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History["pushState"]>) {
      const result = original.apply(this, args);
      pageView();
      return result;
    };
  }
  addEventListener("popstate", pageView);

  // Calls made before the script loaded, in their order.
  for (const args of previous?.q ?? []) kr(...Array.from(args));

  // GA4 e-commerce events from the dataLayer: the earlier pushes, then every new one.
  const layerName = data.datalayer;
  if (layerName) {
    const layer = (page[layerName] ??= []) as unknown[];
    if (Array.isArray(layer)) {
      const follow = safe((push: unknown) => ga4Commands(push).forEach(([type, props]) => run(type, props)));
      layer.forEach(follow);
      const push = layer.push;
      layer.push = function (this: unknown[], ...items: unknown[]) {
        const length = push.apply(this, items);
        items.forEach(follow);
        return length;
      };
    }
  }

  // Leaving or hiding the page: what is queued goes with sendBeacon.
  const leave = safe(tracking.leave);
  addEventListener(
    "pagehide",
    safe(() => {
      // leaving the page with the offer unanswered is ignoring it
      if (offerId) tracking.respond(offerId, "ignored");
      leave();
    }),
  );
  document.addEventListener("visibilitychange", () => document.hidden && leave());

  const ready = safe(() => {
    if (data.launcher != "off") {
      launcher = el("button", { class: "launch", "data-kr": "launcher" }, chatText);
      launcher.onclick = safe(() => openChat());
      ui().append(launcher);
      showLauncher();
    }
    // A chat of this tab goes on after a navigation or reload.
    if (chatGoing()) loadChat().catch(noop);
  });
  if (document.body) ready();
  else addEventListener("DOMContentLoaded", ready);
}

try {
  start();
} catch {
  // never into the shop's page
}
