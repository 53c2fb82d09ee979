/** What an agent's console keeps while signed in, whatever the page: presence (availability and
 * heartbeat) and the desk (inbox, chats in step with the API, unread counts, alerts). */
import type { VNode } from "preact";
import { money } from "../components";
import { hashOf, type PageContext } from "../pages";
import { DeskContext, useDesk, useDeskState } from "./desk";
import { riskWords } from "./logic";
import { PresenceContext, PresenceControls, agentPath, usePresenceState } from "./presence";

type FrameContext = Omit<PageContext, "params">;

export function AgentFrame(props: { context: FrameContext; children: VNode }) {
  const presence = usePresenceState(props.context.api, props.context.session.sub);
  const desk = useDeskState(props.context.api, props.context.session.sub);
  return (
    <PresenceContext.Provider value={presence}>
      <DeskContext.Provider value={desk}>
        {props.children}
        <NewChatAlert />
      </DeskContext.Provider>
    </PresenceContext.Provider>
  );
}

/** Shown on every agent page until dismissed or followed: what came in, and a link to it. */
function NewChatAlert() {
  const desk = useDesk();
  const alert = desk.alert;
  if (!alert) return null;
  const first = alert.chats[0];
  return (
    <div class="toast new-chat" role="status" data-kr="new-chat-alert">
      <strong>New chat{alert.chats.length > 1 ? `s (${alert.chats.length})` : ""}</strong>
      <ul>
        {alert.chats.map((chat) => (
          <li key={chat.chat_id}>
            {chat.category ?? "no category"}, cart {money(chat.cart_value)}, {riskWords(chat.abandonment_risk)}
            {chat.status === "queued" ? " (in the queue)" : ""}
          </li>
        ))}
      </ul>
      <div class="toast-actions">
        {first && first.status === "assigned" && (
          <a href={hashOf("chats", first.chat_id)} onClick={desk.dismissAlert} data-kr="new-chat-open">
            Open the chat
          </a>
        )}
        <button type="button" class="secondary" onClick={desk.dismissAlert}>
          Dismiss
        </button>
      </div>
    </div>
  );
}

export function AgentHeaderItems() {
  return <PresenceControls />;
}

/** Signing out makes the agent offline (their open chats go to colleagues or the queue). */
export async function goOffline(context: FrameContext): Promise<void> {
  await context.api.put(`${agentPath(context.session.sub)}/status`, { status: "offline" });
}
