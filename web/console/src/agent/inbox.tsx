/** The agent's inbox: their open chats (with unread counts) and the queue of their categories,
 * each with waiting time, category, cart value, purchase intent and abandonment risk. */
import { duration, money } from "../components";
import { hashOf } from "../pages";
import { useDesk } from "./desk";
import { percent, riskLevel, riskWords } from "./logic";
import type { InboxChat } from "./types";

function ChatFacts({ chat }: { chat: InboxChat }) {
  const risk = chat.abandonment_risk;
  return (
    <div class="facts">
      <span class="category">{chat.category ?? "no category"}</span>
      <span>waiting {duration(chat.waiting_seconds)}</span>
      <span>cart {money(chat.cart_value)}</span>
      {chat.purchase_intent !== null && <span>intent {percent(chat.purchase_intent)}</span>}
      <span class={risk === null ? "muted" : `risk-${riskLevel(risk)}`}>{riskWords(risk)}</span>
    </div>
  );
}

export function InboxList({ openChatId }: { openChatId: string | null }) {
  const desk = useDesk();
  const inbox = desk.inbox;
  if (!inbox) return <p class="muted">Loading your chats…</p>;
  return (
    <div class="inbox">
      <h2 id="assigned-title">My chats ({inbox.assigned.length})</h2>
      {inbox.assigned.length === 0 ? (
        <p class="muted">No open chats. Set yourself available to take the next one.</p>
      ) : (
        <ul aria-labelledby="assigned-title">
          {inbox.assigned.map((chat) => {
            const unread = desk.unread(chat.chat_id);
            return (
              <li key={chat.chat_id} class={`inbox-item${chat.chat_id === openChatId ? " open" : ""}`} data-kr="inbox-item" data-chat-id={chat.chat_id}>
                <a href={hashOf("chats", chat.chat_id)} aria-current={chat.chat_id === openChatId ? "true" : undefined}>
                  <span class="visitor">Visitor {chat.visitor_id.slice(0, 10)}</span>
                  {unread > 0 && (
                    <span class="unread" data-kr="unread" aria-label={`${unread} unread`}>
                      {unread}
                    </span>
                  )}
                </a>
                <ChatFacts chat={chat} />
              </li>
            );
          })}
        </ul>
      )}
      <h2 id="queue-title">Queue ({inbox.queue.length})</h2>
      {inbox.queue.length === 0 ? (
        <p class="muted">Nobody is waiting in your categories.</p>
      ) : (
        <ul aria-labelledby="queue-title">
          {inbox.queue.map((chat) => (
            <li key={chat.chat_id} class="inbox-item queued" data-kr="inbox-item" data-chat-id={chat.chat_id}>
              <span class="visitor">Visitor {chat.visitor_id.slice(0, 10)}</span>
              <ChatFacts chat={chat} />
            </li>
          ))}
        </ul>
      )}
      <p class="muted small">Queued chats come to you in this order as soon as you have a free slot and are available.</p>
    </div>
  );
}
