/** The agents' pages, one entry each in the order of the navigation; the agent's frame keeps
 * presence (availability, heartbeat) and the desk (inbox, chats, alerts) alive on every page. */
import type { Area, ConsolePage } from "../pages";
import { feedbackPage } from "./feedback";
import { AgentFrame, AgentHeaderItems, goOffline } from "./frame";
import { chatsPage } from "./workspace";

export const agentPages: ConsolePage[] = [chatsPage, feedbackPage];

export const agentArea: Area = {
  role: "agent",
  pages: agentPages,
  Frame: AgentFrame,
  HeaderItems: AgentHeaderItems,
  beforeSignOut: goOffline,
};
