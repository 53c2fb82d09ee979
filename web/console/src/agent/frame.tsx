/** What an agent's console keeps while signed in, whatever the page: presence (availability and
 * heartbeat) and, for the pages, the API and the agent's id. */
import type { VNode } from "preact";
import type { PageContext } from "../pages";
import { PresenceContext, PresenceControls, agentPath, usePresenceState } from "./presence";

type FrameContext = Omit<PageContext, "params">;

export function AgentFrame(props: { context: FrameContext; children: VNode }) {
  const presence = usePresenceState(props.context.api, props.context.session.sub);
  return <PresenceContext.Provider value={presence}>{props.children}</PresenceContext.Provider>;
}

export function AgentHeaderItems() {
  return <PresenceControls />;
}

/** Signing out makes the agent offline (their open chats go to colleagues or the queue). */
export async function goOffline(context: FrameContext): Promise<void> {
  await context.api.put(`${agentPath(context.session.sub)}/status`, { status: "offline" });
}
