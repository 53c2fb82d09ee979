/** The agent's chats page (`#/chats/<chat id>`): the inbox, the open chat, and beside it the
 * suggested answers and the visitor. Keyboard: Alt+N the next chat, Alt+E end the open chat. */
import { useEffect, useRef } from "preact/hooks";
import { describeError } from "../api";
import { hashOf, type ConsolePage, type PageContext } from "../pages";
import { ChatPanel, endChat, insertInto } from "./chat";
import { useDesk } from "./desk";
import { InboxList } from "./inbox";
import { nextChat } from "./logic";
import { SuggestionsPanel } from "./suggestions";
import { VisitorPanel } from "./visitor";

export const SHORTCUTS: { keys: string; does: string }[] = [
  { keys: "Enter", does: "send the answer (Shift+Enter: new line)" },
  { keys: "Alt+N", does: "next chat (one with unread messages first)" },
  { keys: "Alt+E", does: "end the open chat (resolved as ticked)" },
];

function NotificationsSwitch() {
  const desk = useDesk();
  if (desk.notifications !== "default") {
    return desk.notifications === "denied" ? <p class="muted small">Desktop notifications are blocked in this browser.</p> : null;
  }
  return (
    <button type="button" class="secondary small" onClick={() => void desk.enableNotifications()}>
      Notify me on the desktop
    </button>
  );
}

function Shortcuts() {
  return (
    <section class="shortcuts" aria-labelledby="shortcuts-title" data-kr="shortcuts">
      <h2 id="shortcuts-title">Keyboard</h2>
      <dl>
        {SHORTCUTS.map((shortcut) => (
          <div key={shortcut.keys}>
            <dt>
              <kbd>{shortcut.keys}</kbd>
            </dt>
            <dd>{shortcut.does}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Workspace({ context }: { context: PageContext }) {
  const desk = useDesk();
  const input = useRef<HTMLTextAreaElement>(null);
  const resolved = useRef<HTMLInputElement>(null);
  const assigned = desk.inbox?.assigned.map((chat) => chat.chat_id) ?? [];
  const openChatId = context.params[0] ?? null;
  const chat = openChatId ? desk.chats[openChatId] : undefined;

  useEffect(() => desk.setOpenChat(openChatId), [openChatId]);
  useEffect(() => () => desk.setOpenChat(null), []);
  // With no chat open, the first of the agent's chats opens by itself.
  useEffect(() => {
    if (!openChatId && assigned[0]) location.replace(hashOf("chats", assigned[0]));
  }, [openChatId, assigned[0]]);

  const shortcutState = useRef({ assigned, openChatId });
  shortcutState.current = { assigned, openChatId };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const { assigned: ids, openChatId: current } = shortcutState.current;
      if (event.code === "KeyN") {
        event.preventDefault();
        const next = nextChat(ids, current, desk.unread);
        if (next) context.navigate("chats", next);
      } else if (event.code === "KeyE" && current) {
        event.preventDefault();
        endChat(context.api, current, resolved.current?.checked ?? true).then(
          () => desk.refresh(),
          (error: unknown) => window.alert(`The chat did not end: ${describeError(error)}`),
        );
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [context.api, desk.unread]);

  const lastVisitor = chat ? [...chat.messages].reverse().find((m) => m.author === "visitor") : undefined;
  return (
    <div class="workspace">
      <h1 class="visually-hidden">Chats</h1>
      {desk.syncProblem ? (
        <p class="banner warn sync-warning" role="alert" data-kr="sync-warning">
          Connection lost ({describeError(desk.syncProblem)}). Reconnecting: messages will catch up without gaps.
        </p>
      ) : null}
      <aside class="col-inbox panel" aria-label="Inbox">
        <InboxList openChatId={openChatId} />
        <NotificationsSwitch />
        <Shortcuts />
      </aside>
      <div class="col-chat">
        {openChatId && chat ? (
          <ChatPanel
            key={openChatId}
            api={context.api}
            chat={chat}
            visitorId={desk.inbox?.assigned.find((c) => c.chat_id === openChatId)?.visitor_id ?? null}
            inputRef={input}
            resolvedRef={resolved}
          />
        ) : openChatId ? (
          <p class="muted panel">Loading the chat…</p>
        ) : (
          <p class="muted panel">No chat open. New chats appear in your inbox with a sound.</p>
        )}
      </div>
      <div class="col-side">
        {openChatId && chat && (
          <>
            <SuggestionsPanel
              key={`s-${openChatId}`}
              api={context.api}
              chatId={openChatId}
              lastVisitorMessage={lastVisitor?.message_id ?? null}
              onPick={(text) => insertInto(input.current, text)}
            />
            <VisitorPanel key={`v-${openChatId}`} api={context.api} chatId={openChatId} />
          </>
        )}
      </div>
    </div>
  );
}

export const chatsPage: ConsolePage = {
  id: "chats",
  title: "Chats",
  roles: ["agent"],
  render: (context) => <Workspace context={context} />,
};
