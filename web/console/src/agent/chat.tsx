/** The open chat: its messages (the bot's hand-over marked), the composer (Enter sends,
 * Shift+Enter a new line), the discount within the agent's mandate, and the end. */
import type { Ref } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, describeError, type Api } from "../api";
import { ErrorBanner } from "../components";
import { useDesk } from "./desk";
import { usePresence } from "./presence";
import type { ChatState } from "./logic";
import type { Message } from "./types";

const AUTHORS: Record<Message["author"], string> = {
  visitor: "Visitor",
  agent: "You",
  bot: "Bot",
  system: "Klantreis",
};

function time(iso: string): string {
  return new Date(iso).toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit" });
}

function MessageList({ chat }: { chat: ChatState }) {
  const end = useRef<HTMLLIElement>(null);
  const count = chat.messages.length;
  useEffect(() => end.current?.scrollIntoView({ block: "end" }), [count, chat.view?.discount_code]);
  const view = chat.view;
  return (
    <ol class="messages" aria-label="Messages" aria-live="polite">
      {chat.messages.map((message) => {
        const fromBot = message.from_bot || message.author === "bot";
        return (
          <li key={message.message_id} class={`message from-${message.author}${fromBot ? " bot-transcript" : ""}`} data-kr="message" data-from={message.author}>
            <div class="meta">
              {message.author === "agent" && message.agent_id ? (message.agent_id === view?.agent?.agent_id ? "You" : message.agent_id) : AUTHORS[message.author]}
              {fromBot && <span class="tag">bot transcript</span>} · <time dateTime={message.at}>{time(message.at)}</time>
            </div>
            <div class="text">{message.text}</div>
          </li>
        );
      })}
      {view?.discount_code && (
        <li class="message from-system discount" data-kr="chat-discount-code">
          <div class="meta">Discount given</div>
          <div class="text">
            {view.discount_percent}% off with code <strong>{view.discount_code}</strong> (the visitor sees it in the chat)
          </div>
        </li>
      )}
      {view?.status === "ended" && (
        <li class="message from-system">
          <div class="text">The chat has ended{view.resolved === null ? "" : view.resolved ? " (resolved)" : " (not resolved)"}.</div>
        </li>
      )}
      <li ref={end} class="end-marker" aria-hidden="true" />
    </ol>
  );
}

export function Composer(props: { chatId: string; disabled: boolean; inputRef: Ref<HTMLTextAreaElement> }) {
  const desk = useDesk();
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<unknown>(null);

  const send = async () => {
    const trimmed = text.trim();
    if (!trimmed || sending) return;
    setSending(true);
    try {
      await desk.send(props.chatId, trimmed);
      setText("");
      setProblem(null);
    } catch (error) {
      setProblem(error); // the text stays in the input to send again
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      <ErrorBanner error={problem} />
      <label for="chat-input" class="visually-hidden">
        Your answer
      </label>
      <textarea
        id="chat-input"
        ref={props.inputRef}
        data-kr="chat-input"
        rows={3}
        value={text}
        disabled={props.disabled}
        placeholder={props.disabled ? "This chat has ended." : "Write an answer: Enter sends, Shift+Enter starts a new line"}
        onInput={(event) => setText((event.currentTarget as HTMLTextAreaElement).value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            void send();
          }
        }}
      />
      <button type="submit" data-kr="chat-send" disabled={props.disabled || sending || !text.trim()}>
        Send
      </button>
    </form>
  );
}

/** Puts `text` into the composer for editing (after what is there) and focuses it. */
export function insertInto(input: HTMLTextAreaElement | null, text: string): void {
  if (!input) return;
  const value = input.value.trim() ? `${input.value.trimEnd()} ${text}` : text;
  const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value")?.set;
  setter?.call(input, value);
  input.dispatchEvent(new Event("input", { bubbles: true }));
  input.focus();
  input.setSelectionRange(value.length, value.length);
}

function DiscountForm({ api, chat }: { api: Api; chat: ChatState }) {
  const { agent } = usePresence();
  const desk = useDesk();
  const mandate = agent?.discount_mandate_percent ?? 0;
  const [percentText, setPercentText] = useState("10");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const given = chat.view?.discount_code;
  const serving = chat.view?.status === "assigned";

  const give = async () => {
    const percent = Number(percentText);
    setProblem(null);
    if (!Number.isFinite(percent) || percent <= 0) {
      setProblem("Give a percentage above 0.");
      return;
    }
    setBusy(true);
    try {
      await api.post(`/v1/chats/${encodeURIComponent(chat.chat_id)}/discounts`, { percent });
      desk.refresh();
    } catch (error) {
      setProblem(
        error instanceof ApiError && error.status === 403
          ? `Refused: ${error.message}. Ask a colleague with a larger mandate, or give less.`
          : describeError(error),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="discount"
      aria-labelledby="discount-title"
      onSubmit={(event) => {
        event.preventDefault();
        void give();
      }}
    >
      <h3 id="discount-title">Discount</h3>
      {given ? (
        <p>
          Given: {chat.view?.discount_percent}% with code <strong data-kr="discount-given-code">{given}</strong>.
        </p>
      ) : (
        <>
          <label>
            Percent
            <input
              type="number"
              data-kr="discount-percent"
              min={1}
              max={100}
              step={1}
              value={percentText}
              aria-describedby="discount-mandate"
              disabled={!serving || busy}
              onInput={(event) => setPercentText((event.currentTarget as HTMLInputElement).value)}
            />
          </label>
          <button type="submit" data-kr="discount-give" disabled={!serving || busy}>
            Give discount
          </button>
          <p id="discount-mandate" class="muted" data-kr="discount-mandate">
            Your mandate: up to {mandate}%.
          </p>
        </>
      )}
      {problem && (
        <p class="banner error" role="alert" data-kr="discount-error">
          {problem}
        </p>
      )}
    </form>
  );
}

export function EndForm(props: { api: Api; chat: ChatState; resolvedRef: Ref<HTMLInputElement> }) {
  const desk = useDesk();
  const [problem, setProblem] = useState<unknown>(null);
  const ended = props.chat.view?.status === "ended";
  return (
    <form
      class="end"
      onSubmit={(event) => {
        event.preventDefault();
        const resolved = (event.currentTarget.querySelector("[data-kr='end-resolved']") as HTMLInputElement).checked;
        void endChat(props.api, props.chat.chat_id, resolved).then(
          () => {
            setProblem(null);
            desk.refresh();
          },
          setProblem,
        );
      }}
    >
      <label>
        <input type="checkbox" data-kr="end-resolved" ref={props.resolvedRef} defaultChecked disabled={ended} /> Resolved
      </label>
      <button type="submit" class="secondary" data-kr="chat-end" disabled={ended}>
        End chat
      </button>
      <ErrorBanner error={problem} />
    </form>
  );
}

export function endChat(api: Api, chatId: string, resolved: boolean): Promise<unknown> {
  return api.post(`/v1/chats/${encodeURIComponent(chatId)}/end`, { resolved });
}

export function ChatPanel(props: {
  api: Api;
  chat: ChatState;
  /** From the inbox while the chat is the agent's. */
  visitorId: string | null;
  inputRef: Ref<HTMLTextAreaElement>;
  resolvedRef: Ref<HTMLInputElement>;
}) {
  const { chat } = props;
  const view = chat.view;
  return (
    <section class="chat panel" aria-labelledby="chat-title" data-kr="agent-chat">
      <header class="chat-head">
        <h2 id="chat-title">
          Chat{props.visitorId ? ` with visitor ${props.visitorId}` : ""}
          {view?.category ? ` · ${view.category}` : ""}
        </h2>
        <span class={`status status-${view?.status ?? "loading"}`}>{view?.status ?? "loading"}</span>
      </header>
      {chat.gone && (
        <p class="banner warn" role="alert">
          You can no longer read this chat: {chat.gone}.
        </p>
      )}
      <MessageList chat={chat} />
      <Composer chatId={chat.chat_id} disabled={view?.status === "ended" || !!chat.gone} inputRef={props.inputRef} />
      <div class="chat-actions">
        <DiscountForm api={props.api} chat={chat} />
        <EndForm api={props.api} chat={chat} resolvedRef={props.resolvedRef} />
      </div>
    </section>
  );
}
