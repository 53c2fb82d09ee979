/** The chat and survey UI, loaded lazily by the tracker (when an offer is accepted, the launcher
 * is used, or this tab has a chat going). Everything lives in the tracker's open shadow root and
 * is styled through adoptedStyleSheets: no inline style, no eval, so a strict CSP is enough. */
import { read, storage, write } from "../core/storage";
import { adopt, el } from "../dom";
import { CHAT_STATE_KEY, apiBase, language, parseCategories, type ChatApi, type KlantreisGlobal, type WidgetHost } from "../host";
import { CSS } from "./style";
import { CHANNELS, pollDelay, pollOutcome, surveyAnswers, unseen, type ChatMessage } from "./logic";
import { TEXTS, fill } from "./texts";

/** What survives navigations and reloads of this tab (sessionStorage). */
interface ChatState {
  id: string;
  /** the chat token (X-Chat-Token) */
  token: string;
  /** the survey token */
  survey: string;
  open?: boolean;
}

interface ChatView {
  status: "queued" | "assigned" | "ended";
  agent: { display_name: string } | null;
  messages?: ChatMessage[];
  next_since?: string | null;
  queue_position?: number | null;
  discount_code?: string | null;
}

type Reply = [number, Record<string, unknown> | null];

interface Conversation extends ChatApi {
  /** false once it ended and the shopper closed it: the next open starts a new one */
  alive(): boolean;
}

function mount(host: WidgetHost): ChatApi {
  adopt(host.root, CSS);
  let current = conversation(host);
  return {
    open(offer, offerMessage) {
      if (!current.alive()) current = conversation(host);
      current.open(offer, offerMessage);
    },
  };
}

function conversation(host: WidgetHost): Conversation {
  const { data } = host;
  const lang = language(data.lang, navigator.language);
  const t = TEXTS[lang];
  const tab = storage("sessionStorage");
  let alive = true;
  let state = read<ChatState>(tab, CHAT_STATE_KEY);
  let since: string | null = null;
  let offerId: string | undefined;
  let failures = 0;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let busy = false;
  let ended = false;
  const seen = new Set<string>();
  const save = (): void => write(tab, CHAT_STATE_KEY, state);

  function call(method: string, path: string, body?: object): Promise<Reply> {
    const headers: Record<string, string> = { "X-Site-Key": data.siteKey ?? "" };
    if (state) headers["X-Chat-Token"] = state.token;
    if (body) headers["Content-Type"] = "application/json";
    return fetch(apiBase(data) + path, { method, headers, body: body && JSON.stringify(body) }).then(
      async (answer): Promise<Reply> => [answer.status, await answer.json().catch(() => null)],
      (): Reply => [0, null],
    );
  }

  const title = el("h2", { id: "kr-title" }, t.title);
  const minimize = el("button", { class: "x", "data-kr": "chat-close", "aria-label": t.minimize }, "×");
  const status = el("p", { class: "status", role: "status" });
  const log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-labelledby": "kr-title", tabindex: "0" });
  const codeBox = el("p", { class: "code", hidden: "" });
  const discountCode = el("strong", { "data-kr": "discount-code" });
  const copy = el("button", { type: "button", "data-kr": "discount-copy" }, t.copy);
  codeBox.append(t.code + " ", discountCode, " ", copy);

  // The pre-chat step: what the question is about, so the chat reaches the right specialist.
  const topics = el("fieldset", { class: "topics", "data-kr": "prechat", hidden: "" });
  topics.append(el("legend", {}, t.topic));
  const categories = parseCategories(data.categories);
  for (const [value, label] of [...categories, ["", t.other] as [string, string]]) {
    const option = el("label");
    option.append(el("input", { type: "radio", name: "category", value, "data-kr": "chat-category" }), label);
    topics.append(option);
  }
  const form = el("form", { class: "send" });
  const input = el("textarea", { id: "kr-input", "data-kr": "chat-input", rows: "2", placeholder: t.placeholder });
  form.append(el("label", { class: "sr", for: "kr-input" }, t.message), input, el("button", { "data-kr": "chat-send" }, t.send));

  const survey = surveyForm();
  const thanks = el("p", { class: "thanks", "data-kr": "survey-thanks", tabindex: "-1", hidden: "" }, t.thanks);
  const panel = el("section", { class: "panel", "data-kr": "chat", role: "dialog", "aria-labelledby": "kr-title", hidden: "" });
  const head = el("header");
  head.append(title, minimize);
  panel.append(head, status, log, codeBox, topics, form, survey.form, thanks);
  host.root.append(panel);

  function show(open: boolean): void {
    panel.hidden = !open;
    if (state) {
      state.open = open;
      save();
    }
    host.shown(open);
    if (open) schedulePoll(0);
  }

  function forget(): void {
    state = null;
    save();
  }

  /** Closing a running chat minimizes it; closing an ended or unstarted one ends this view. */
  function close(): void {
    show(false);
    if (ended || !state) {
      forget();
      clearTimeout(pollTimer);
      panel.remove();
      alive = false;
    }
  }

  function addMessage(message: ChatMessage, agentName?: string): void {
    const line = el("div", { class: "message " + message.author, "data-kr": "message", "data-from": message.author });
    const who = message.author == "visitor" ? t.you : message.author == "agent" ? agentName : "";
    if (who) line.append(el("b", {}, who + ": "));
    line.append(message.text);
    log.append(line);
    log.scrollTop = log.scrollHeight;
  }

  function apply(view: ChatView): void {
    const name = view.agent?.display_name;
    title.textContent = name ? fill(t.titleWith, name) : t.title;
    status.textContent =
      view.status == "queued" ? (view.queue_position ? fill(t.queued, view.queue_position) : t.waiting) : "";
    for (const message of unseen(view.messages, seen)) addMessage(message, name);
    since = view.next_since ?? since;
    if (view.discount_code && discountCode.textContent != view.discount_code) {
      discountCode.textContent = view.discount_code;
      codeBox.hidden = false;
    }
    if (view.status == "ended" && !ended) end();
  }

  function end(): void {
    ended = true;
    form.hidden = true;
    // the survey takes the transcript's place, so its send button fits on the screen
    log.hidden = true;
    status.textContent = t.ended;
    survey.form.hidden = false;
    if (panel.hidden) show(true);
    survey.heading.focus();
  }

  function poll(): void {
    if (!state || ended) return;
    const query = since ? "?since=" + encodeURIComponent(since) : "";
    void call("GET", `/v1/chats/${encodeURIComponent(state.id)}${query}`).then(([code, view]) => {
      const outcome = pollOutcome(code);
      if (outcome == "gone") return close();
      failures = outcome == "ok" ? 0 : failures + 1;
      if (view && outcome == "ok") apply(view as unknown as ChatView);
      schedulePoll();
    });
  }

  function schedulePoll(ms = pollDelay(!document.hidden, !panel.hidden, failures)): void {
    clearTimeout(pollTimer);
    if (state && !ended) pollTimer = setTimeout(poll, ms);
  }
  document.addEventListener("visibilitychange", () => !document.hidden && schedulePoll(0));

  async function send(text: string): Promise<boolean> {
    if (state) {
      const [code, message] = await call("POST", `/v1/chats/${encodeURIComponent(state.id)}/messages`, { text });
      if (code == 201 && message) unseen([message as unknown as ChatMessage], seen).forEach((line) => addMessage(line));
      return code == 201;
    }
    const [visitor_id, session_id] = host.ids();
    const category = (topics.querySelector("input:checked") as HTMLInputElement | null)?.value;
    const [code, started] = await call("POST", "/v1/chats", {
      visitor_id,
      session_id,
      offer_id: offerId,
      category: category || undefined,
      language: lang,
      message: text,
    });
    if (code != 201 || !started) return false;
    state = { id: String(started.chat_id), token: String(started.chat_token), survey: String(started.survey_token), open: true };
    save();
    topics.hidden = true;
    apply({ status: started.status as ChatView["status"], agent: started.agent as ChatView["agent"], queue_position: started.queue_position as number });
    schedulePoll(0);
    return true;
  }

  form.onsubmit = (submit) => {
    submit.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    busy = true;
    void send(text).then((sent) => {
      busy = false;
      if (sent) input.value = "";
      else status.textContent = t.failed;
    });
  };
  input.onkeydown = (key) => {
    if (key.key == "Enter" && !key.shiftKey) {
      key.preventDefault();
      form.requestSubmit();
    }
  };
  panel.onkeydown = (key) => {
    if (key.key == "Escape") close();
  };
  minimize.onclick = close;
  copy.onclick = () => {
    const done = (): void => void (copy.textContent = t.copied);
    navigator.clipboard?.writeText(discountCode.textContent ?? "").then(done, () => getSelection()?.selectAllChildren(discountCode));
  };

  function surveyForm(): { form: HTMLFormElement; heading: HTMLElement } {
    const form = el("form", { class: "survey", "data-kr": "survey", "aria-labelledby": "kr-survey", hidden: "" });
    const heading = el("h3", { id: "kr-survey", tabindex: "-1" }, t.survey);
    form.append(heading);
    const scale = (name: string, legend: string, from: number, to: number): void => {
      const group = el("fieldset", { class: "scale" });
      group.append(el("legend", {}, legend));
      for (let value = from; value <= to; value++) {
        const option = el("label");
        option.append(el("input", { type: "radio", name, value: String(value), "data-kr": "survey-" + name }), String(value));
        group.append(option);
      }
      form.append(group);
    };
    scale("csat", t.csat, 1, 5);
    scale("nps", t.nps, 0, 10);
    scale("ces", t.ces, 1, 7);
    const channel = el("select", { id: "kr-channel", name: "preferred_channel", "data-kr": "survey-channel" });
    channel.append(el("option", { value: "" }, "—"));
    CHANNELS.forEach((value, index) => channel.append(el("option", { value }, t.channels[index])));
    const comment = el("textarea", { id: "kr-comment", name: "comment", rows: "2", maxlength: "2000", "data-kr": "survey-comment" });
    const error = el("p", { class: "error", role: "alert" });
    const skip = el("button", { type: "button", "data-kr": "survey-dismiss" }, t.skip);
    const buttons = el("div", { class: "buttons" });
    buttons.append(el("button", { "data-kr": "survey-submit" }, t.submit), skip);
    form.append(
      el("label", { for: "kr-channel" }, t.channel),
      channel,
      el("label", { for: "kr-comment" }, t.comment),
      comment,
      error,
      buttons,
    );
    skip.onclick = close;
    form.onsubmit = (submit) => {
      submit.preventDefault();
      const fields = new FormData(form);
      const answers = surveyAnswers((name) => fields.get(name) as string | null);
      if (!answers) return void (error.textContent = t.answerOne);
      if (!state || busy) return;
      busy = true;
      void call("POST", "/v1/surveys", { chat_id: state.id, token: state.survey, ...answers }).then(([code]) => {
        busy = false;
        // 409: this chat's survey was answered already (another tab): thank all the same.
        if (code != 201 && code != 200 && code != 409) return void (error.textContent = t.failed);
        forget();
        form.hidden = true;
        thanks.hidden = false;
        thanks.focus();
      });
    };
    return { form, heading };
  }

  if (state) {
    // A chat of this tab, after a navigation or reload: show it as it was, then catch up.
    topics.hidden = true;
    show(state.open != false);
    schedulePoll(0);
  }

  return {
    alive: () => alive,
    open(offer, offerMessage) {
      if (!state && log.childElementCount == 0) {
        offerId = offer;
        if (offerMessage) addMessage({ message_id: "offer", author: "bot", text: offerMessage });
        topics.hidden = !!offer || !categories.length;
      }
      show(true);
      (topics.hidden || state ? input : (topics.querySelector("input") as HTMLInputElement)).focus();
    },
  };
}

try {
  (window as Window & { klantreis?: KlantreisGlobal }).klantreis?.r?.(mount);
} catch {
  // never into the shop's page
}
