/** The agent's chats page. */
import type { ConsolePage, PageContext } from "../pages";
import { usePresence } from "./presence";

function Workspace(_props: { context: PageContext }) {
  const { agent } = usePresence();
  return <h1>Chats {agent ? `· ${agent.display_name}` : ""}</h1>;
}

export const chatsPage: ConsolePage = {
  id: "chats",
  title: "Chats",
  roles: ["agent"],
  render: (context) => <Workspace context={context} />,
};
