/** The operators' Settings page: opening hours, engagement rules, agents and the knowledge base,
 * one section at a time (`#/settings/<section>`). */
import { hashOf, type ConsolePage, type PageContext } from "../pages";
import { AgentProfiles } from "./agents";
import { OpeningHoursForm } from "./hours";
import { KnowledgeBase } from "./knowledge";
import { EngagementRulesForm } from "./rules";
import "./settings.css";

const SECTIONS = [
  ["hours", "Opening hours", OpeningHoursForm],
  ["rules", "Engagement rules", EngagementRulesForm],
  ["agents", "Agents", AgentProfiles],
  ["knowledge", "Knowledge base", KnowledgeBase],
] as const;

function Settings({ context }: { context: PageContext }) {
  const current = SECTIONS.find(([id]) => id === context.params[0]) ?? SECTIONS[0];
  const [id, , Section] = current;
  return (
    <div class="settings" data-kr="settings">
      <h1>Settings</h1>
      <nav aria-label="Settings sections" class="subnav">
        <ul>
          {SECTIONS.map(([sectionId, title]) => (
            <li key={sectionId}>
              <a href={hashOf("settings", sectionId)} aria-current={sectionId === id ? "page" : undefined} data-kr={`settings-${sectionId}-link`}>
                {title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <Section key={id} context={context} />
    </div>
  );
}

export const settingsPage: ConsolePage = {
  id: "settings",
  title: "Settings",
  roles: ["operator"],
  render: (context) => <Settings context={context} />,
};
