/** The agent's desk, alive on every agent page: the inbox and every assigned chat kept in step
 * with the API (one poll loop; after a dropped connection it resumes from each chat's cursor, so
 * nothing is lost or shown twice), unread counts, the title badge and the new-chat alert. */
import { createContext } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Api } from "../api";
import { money } from "../components";
import { startPolling, type Poller } from "../poll";
import { hashOf } from "../pages";
import { setBadge } from "../title";
import { askForNotifications, chime, notificationState, notify, type NotificationState } from "./alert";
import { applyPoll, applySent, emptyChat, markRead, newChats, riskWords, unreadCount, type ChatState } from "./logic";
import { agentPath } from "./presence";
import type { ChatView, Inbox, InboxChat, Message } from "./types";

export const SYNC_MS = 2_000;
/** The API answers at most this many messages at a time: a full page means more are waiting. */
export const MESSAGE_PAGE = 200;

export interface NewChatAlert {
  chats: InboxChat[];
  at: number;
}

export interface Desk {
  inbox: Inbox | undefined;
  chats: Readonly<Record<string, ChatState>>;
  /** Why the last sync failed (the console is catching up), or null. */
  syncProblem: unknown;
  unread(chatId: string): number;
  /** The chat on screen: it is polled even after it left the inbox, and its messages count read. */
  setOpenChat(chatId: string | null): void;
  send(chatId: string, text: string): Promise<void>;
  /** Polls now (after the agent changed something). */
  refresh(): void;
  alert: NewChatAlert | null;
  dismissAlert(): void;
  notifications: NotificationState;
  enableNotifications(): Promise<void>;
}

export const DeskContext = createContext<Desk | null>(null);

export function useDesk(): Desk {
  const desk = useContext(DeskContext);
  if (!desk) throw new Error("useDesk outside the agent's frame");
  return desk;
}

function chatPath(chatId: string): string {
  return `/v1/chats/${encodeURIComponent(chatId)}`;
}

function describeChats(chats: InboxChat[]): string {
  return chats
    .map((chat) => `${chat.category ?? "no category"}, cart ${money(chat.cart_value)}, ${riskWords(chat.abandonment_risk)}`)
    .join("; ");
}

export function useDeskState(api: Api, agentId: string): Desk {
  const [inbox, setInbox] = useState<Inbox | undefined>(undefined);
  const [chats, setChats] = useState<Record<string, ChatState>>({});
  const [syncProblem, setSyncProblem] = useState<unknown>(null);
  const [alert, setAlert] = useState<NewChatAlert | null>(null);
  const [notifications, setNotifications] = useState<NotificationState>(notificationState());
  const held = useRef<Record<string, ChatState>>({});
  const known = useRef<Set<string> | null>(null);
  const open = useRef<string | null>(null);
  const poller = useRef<Poller | null>(null);

  const update = (chatId: string, change: (state: ChatState) => ChatState) => {
    let next = change(held.current[chatId] ?? emptyChat(chatId));
    if (chatId === open.current && document.visibilityState === "visible") next = markRead(next);
    held.current = { ...held.current, [chatId]: next };
    setChats(held.current);
  };

  useEffect(() => {
    const syncChat = async (chatId: string) => {
      for (;;) {
        const cursor = held.current[chatId]?.cursor;
        let answer: ChatView;
        try {
          answer = await api.get<ChatView>(chatPath(chatId), { since: cursor });
        } catch (error) {
          // Another agent's chat now (reassigned) or gone: nothing to catch up on, no retry.
          if (error instanceof ApiError && (error.status === 403 || error.status === 404)) {
            update(chatId, (state) => ({ ...state, gone: error.message }));
            return;
          }
          throw error;
        }
        update(chatId, (state) => applyPoll(state, answer));
        if (answer.messages.length < MESSAGE_PAGE) return;
      }
    };
    const sync = async () => {
      try {
        const fresh = await api.get<Inbox>(`${agentPath(agentId)}/chats`);
        setInbox(fresh);
        if (known.current === null) {
          known.current = new Set();
        } else {
          const arrived = newChats(known.current, fresh);
          if (arrived.length) {
            setAlert({ chats: arrived, at: Date.now() });
            chime();
            notify("New chat", describeChats(arrived), arrived[0]!.chat_id, () => {
              location.hash = hashOf("chats", arrived[0]!.chat_id);
            });
          }
        }
        for (const chat of [...fresh.assigned, ...fresh.queue]) known.current.add(chat.chat_id);
        const wanted = new Set(fresh.assigned.map((chat) => chat.chat_id));
        if (open.current) wanted.add(open.current);
        for (const chatId of wanted) await syncChat(chatId);
        const kept = Object.fromEntries(Object.entries(held.current).filter(([id]) => wanted.has(id)));
        if (Object.keys(kept).length !== Object.keys(held.current).length) {
          held.current = kept;
          setChats(kept);
        }
        setSyncProblem(null);
      } catch (error) {
        setSyncProblem(error);
        throw error;
      }
    };
    poller.current = startPolling(sync, { intervalMs: SYNC_MS, maxMs: 15_000 });
    const again = () => poller.current?.now();
    addEventListener("online", again);
    const visible = () => {
      if (document.visibilityState === "visible" && open.current) update(open.current, markRead);
    };
    document.addEventListener("visibilitychange", visible);
    return () => {
      poller.current?.stop();
      removeEventListener("online", again);
      document.removeEventListener("visibilitychange", visible);
    };
  }, [api, agentId]);

  const unread = (chatId: string) => {
    const state = chats[chatId];
    return state ? unreadCount(state) : 0;
  };
  const assignedIds = inbox?.assigned.map((chat) => chat.chat_id) ?? [];
  const badge = assignedIds.reduce((total, chatId) => total + unread(chatId), 0);
  useEffect(() => setBadge(badge), [badge]);
  useEffect(() => () => setBadge(0), []);

  return {
    inbox,
    chats,
    syncProblem,
    unread,
    setOpenChat(chatId) {
      if (open.current === chatId) return;
      open.current = chatId;
      if (chatId) {
        setAlert((shown) => (shown?.chats.some((chat) => chat.chat_id === chatId) ? null : shown));
        if (held.current[chatId]) update(chatId, markRead);
        poller.current?.now();
      }
    },
    async send(chatId, text) {
      const message = await api.post<Message>(`${chatPath(chatId)}/messages`, { text });
      update(chatId, (state) => applySent(state, message));
    },
    refresh: () => poller.current?.now(),
    alert,
    dismissAlert: () => setAlert(null),
    notifications,
    async enableNotifications() {
      setNotifications(await askForNotifications());
    },
  };
}
