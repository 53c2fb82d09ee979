/** Settings: agent profiles and mandates. The site's agents (GET /v1/agents) with what routing and
 * discounts use, and a form to create or change one (PUT /v1/agents/{agent_id}). */
import { useState } from "preact/hooks";
import { ErrorBanner, Table } from "../components";
import { useLoaded } from "../hooks";
import type { PageContext } from "../pages";
import { SaveState, TextField } from "./fields";
import { listOf, numberOrText, textOf } from "./form";
import { useSave } from "./save";

export interface AgentView {
  agent_id: string;
  display_name: string;
  categories?: string[];
  skills?: string[];
  languages?: string[];
  max_chats?: number;
  discount_mandate_percent?: number;
  status: string;
  active_chats: number;
}

interface Draft {
  isNew: boolean;
  agent_id: string;
  display_name: string;
  categories: string;
  skills: string;
  languages: string;
  max_chats: string;
  discount_mandate_percent: string;
}

const KEYS = ["display_name", "categories", "skills", "languages", "max_chats", "discount_mandate_percent"];
type ProfileField = Exclude<keyof Draft, "isNew" | "agent_id">;
/** The profile's fields as the form shows them: name, label, test hook and the keyboard a phone offers. */
const PROFILE_FIELDS: readonly [ProfileField, string, string, "numeric" | "decimal" | undefined][] = [
  ["display_name", "Display name", "agent-display-name", undefined],
  ["categories", "Categories (comma-separated)", "agent-categories", undefined],
  ["skills", "Skills (comma-separated)", "agent-skills", undefined],
  ["languages", "Languages (comma-separated)", "agent-languages", undefined],
  ["max_chats", "Max concurrent chats (1–20)", "agent-max-chats", "numeric"],
  ["discount_mandate_percent", "Discount mandate (% , 0–100)", "agent-mandate", "decimal"],
];
const EMPTY: Draft = {
  isNew: true,
  agent_id: "",
  display_name: "",
  categories: "",
  skills: "",
  languages: "",
  max_chats: "2",
  discount_mandate_percent: "0",
};

function draftOf(agent: AgentView): Draft {
  return {
    isNew: false,
    agent_id: agent.agent_id,
    display_name: agent.display_name,
    categories: textOf(agent.categories),
    skills: textOf(agent.skills),
    languages: textOf(agent.languages),
    max_chats: String(agent.max_chats ?? ""),
    discount_mandate_percent: String(agent.discount_mandate_percent ?? ""),
  };
}

function bodyOf(draft: Draft): Record<string, unknown> {
  const body: Record<string, unknown> = {
    display_name: draft.display_name.trim(),
    categories: listOf(draft.categories),
    skills: listOf(draft.skills),
    languages: listOf(draft.languages),
  };
  for (const key of ["max_chats", "discount_mandate_percent"] as const) {
    const value = numberOrText(draft[key]);
    if (value !== null) body[key] = value;
  }
  return body;
}

export function AgentProfiles({ context }: { context: PageContext }) {
  const loaded = useLoaded(() => context.api.get<{ agents: AgentView[] }>("/v1/agents"), []);
  const [draft, setDraft] = useState<Draft | null>(null);
  const save = useSave();
  const [idMissing, setIdMissing] = useState(false);
  const open = (next: Draft) => {
    save.reset();
    setIdMissing(false);
    setDraft(next);
  };
  const edit = (next: Draft) => {
    setDraft(next);
    if (save.saved) save.reset();
  };
  const problems = idMissing ? { ...save.problems, agent_id: "Give the agent's id." } : save.problems;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!draft) return;
    const id = draft.agent_id.trim();
    setIdMissing(id === "");
    if (id === "") return;
    const ok = await save.run(KEYS, () => context.api.put(`/v1/agents/${encodeURIComponent(id)}`, bodyOf(draft)));
    if (ok) {
      setDraft({ ...draft, isNew: false });
      loaded.refresh();
    }
  };

  return (
    <section class="settings-section" data-kr="settings-agents" aria-labelledby="agents-title">
      <h2 id="agents-title">Agents and mandates</h2>
      <ErrorBanner error={loaded.error} onRetry={loaded.refresh} />
      <Table
        caption="The site's agents"
        hook="agents-table"
        rows={loaded.data?.agents ?? []}
        rowKey={(agent) => agent.agent_id}
        empty={loaded.data ? "No agents yet." : "Loading…"}
        columns={[
          { title: "Agent", cell: (a) => <>{a.display_name} <span class="muted">({a.agent_id})</span></> },
          { title: "Categories", cell: (a) => textOf(a.categories) || "—" },
          { title: "Skills", cell: (a) => textOf(a.skills) || "—" },
          { title: "Languages", cell: (a) => textOf(a.languages) || "—" },
          { title: "Max chats", numeric: true, cell: (a) => a.max_chats ?? "—" },
          { title: "Discount mandate", numeric: true, cell: (a) => `${a.discount_mandate_percent ?? 0}%` },
          { title: "Status", cell: (a) => `${a.status}, ${a.active_chats} open` },
          {
            title: "Change",
            cell: (a) => (
              <button type="button" class="secondary" data-kr="agent-edit" data-agent={a.agent_id} onClick={() => open(draftOf(a))}>
                Edit {a.display_name}
              </button>
            ),
          },
        ]}
      />
      <p>
        <button type="button" class="secondary" data-kr="agent-new" onClick={() => open(EMPTY)}>
          Add an agent
        </button>
      </p>
      {draft && (
        <form class="settings-form" data-kr="agent-form" onSubmit={submit} noValidate aria-labelledby="agent-form-title">
          <h3 id="agent-form-title">{draft.isNew ? "New agent" : `Agent ${draft.display_name || draft.agent_id}`}</h3>
          {draft.isNew ? (
            <TextField
              form="agent"
              name="agent_id"
              label="Agent id"
              hint="The user's Cognito id (sub); locally the demo user's name"
              value={draft.agent_id}
              problems={problems}
              hook="agent-id"
              onValue={(agent_id) => edit({ ...draft, agent_id })}
            />
          ) : (
            <p class="muted">Id: {draft.agent_id}</p>
          )}
          <div class="field-grid">
            {PROFILE_FIELDS.map(([name, label, hook, inputMode]) => (
              <TextField
                key={name}
                form="agent"
                name={name}
                label={label}
                inputMode={inputMode}
                value={draft[name]}
                problems={problems}
                hook={hook}
                onValue={(typed) => edit({ ...draft, [name]: typed })}
              />
            ))}
          </div>
          <div class="actions">
            <button type="submit" data-kr="settings-save" disabled={save.saving}>
              {save.saving ? "Saving…" : "Save agent"}
            </button>
            <button type="button" class="secondary" onClick={() => (save.reset(), setDraft(null))}>
              Close
            </button>
          </div>
          <SaveState form="agent" problems={problems} failure={save.failure} saved={save.saved} />
        </form>
      )}
    </section>
  );
}
