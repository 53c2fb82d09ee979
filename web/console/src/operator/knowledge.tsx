/** Settings: the knowledge base behind the agents' answer suggestions: FAQ entries and canned
 * replies (GET /v1/knowledge/entries; PUT and DELETE /v1/knowledge/entries/{entry_id}). */
import { useState } from "preact/hooks";
import { ErrorBanner, Table } from "../components";
import { useLoaded } from "../hooks";
import type { PageContext } from "../pages";
import { ChoiceField, SaveState, SelectField, TextField } from "./fields";
import { listOf, textOf } from "./form";
import { useSave } from "./save";

export interface KnowledgeEntry {
  entry_id: string;
  kind: "faq" | "canned";
  title: string;
  body: string;
  language: string;
  keywords?: string[];
  categories?: string[];
  stages?: string[];
  updated_at: string;
}

interface Draft {
  entry_id: string | null;
  kind: string;
  language: string;
  title: string;
  body: string;
  keywords: string;
  categories: string;
  stages: string[];
}

const KEYS = ["kind", "language", "title", "body", "keywords", "categories", "stages"];
const EMPTY: Draft = { entry_id: null, kind: "faq", language: "nl", title: "", body: "", keywords: "", categories: "", stages: [] };

function draftOf(entry: KnowledgeEntry): Draft {
  return {
    entry_id: entry.entry_id,
    kind: entry.kind,
    language: entry.language,
    title: entry.title,
    body: entry.body,
    keywords: textOf(entry.keywords),
    categories: textOf(entry.categories),
    stages: entry.stages ?? [],
  };
}

/** A new entry's id: its title as a slug, with a random tail so it never replaces another's. */
export function newEntryId(title: string, random: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return `${slug || "entry"}-${random}`;
}

export function KnowledgeBase({ context }: { context: PageContext }) {
  const loaded = useLoaded(() => context.api.get<{ entries: KnowledgeEntry[] }>("/v1/knowledge/entries"), []);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const save = useSave();
  const open = (next: Draft) => {
    save.reset();
    setDraft(next);
  };
  const edit = (next: Draft) => {
    setDraft(next);
    if (save.saved) save.reset();
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!draft) return;
    const id = draft.entry_id ?? newEntryId(draft.title, crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36));
    const body = {
      kind: draft.kind,
      language: draft.language,
      title: draft.title,
      body: draft.body,
      keywords: listOf(draft.keywords),
      categories: listOf(draft.categories),
      stages: draft.stages,
    };
    if (await save.run(KEYS, () => context.api.put(`/v1/knowledge/entries/${encodeURIComponent(id)}`, body))) {
      setDraft({ ...draft, entry_id: id });
      loaded.refresh();
    }
  };
  const remove = async (entryId: string) => {
    setDeleteError(null);
    try {
      await context.api.delete(`/v1/knowledge/entries/${encodeURIComponent(entryId)}`);
      if (draft?.entry_id === entryId) setDraft(null);
      setDeleting(null);
      loaded.refresh();
    } catch (error) {
      setDeleteError(error);
    }
  };
  const entries = [...(loaded.data?.entries ?? [])].sort((a, b) => a.title.localeCompare(b.title));

  return (
    <section class="settings-section" data-kr="settings-knowledge" aria-labelledby="knowledge-title">
      <h2 id="knowledge-title">Knowledge base</h2>
      <p class="muted">
        FAQ entries and canned replies the agents' console suggests for a chat, ranked by the visitor's messages and journey.
        Keywords carry synonyms and the other language's words.
      </p>
      <ErrorBanner error={loaded.error} onRetry={loaded.refresh} />
      <ErrorBanner error={deleteError} />
      <p>
        <button type="button" class="secondary" data-kr="knowledge-new" onClick={() => open(EMPTY)}>
          Add an entry
        </button>
      </p>
      {draft && (
        <form class="settings-form" data-kr="knowledge-form" onSubmit={submit} noValidate aria-labelledby="knowledge-form-title">
          <h3 id="knowledge-form-title">{draft.entry_id ? `Entry ${draft.entry_id}` : "New entry"}</h3>
          <div class="field-grid">
            <SelectField
              form="knowledge"
              name="kind"
              label="Kind"
              value={draft.kind}
              options={[
                ["faq", "FAQ entry"],
                ["canned", "Canned reply"],
              ]}
              problems={save.problems}
              hook="knowledge-kind"
              onValue={(kind) => edit({ ...draft, kind })}
            />
            <SelectField
              form="knowledge"
              name="language"
              label="Language"
              value={draft.language}
              options={[
                ["nl", "Dutch"],
                ["en", "English"],
              ]}
              problems={save.problems}
              hook="knowledge-language"
              onValue={(language) => edit({ ...draft, language })}
            />
          </div>
          <TextField form="knowledge" name="title" label="Title" value={draft.title} problems={save.problems} hook="knowledge-title" onValue={(title) => edit({ ...draft, title })} />
          <TextField form="knowledge" name="body" label="Text" multiline value={draft.body} problems={save.problems} hook="knowledge-body" onValue={(body) => edit({ ...draft, body })} />
          <div class="field-grid">
            <TextField form="knowledge" name="keywords" label="Keywords (comma-separated)" value={draft.keywords} problems={save.problems} hook="knowledge-keywords" onValue={(keywords) => edit({ ...draft, keywords })} />
            <TextField form="knowledge" name="categories" label="Categories (comma-separated)" value={draft.categories} problems={save.problems} hook="knowledge-categories" onValue={(categories) => edit({ ...draft, categories })} />
            <ChoiceField
              form="knowledge"
              name="stages"
              label="Stages"
              options={["browsing", "cart", "checkout"]}
              values={draft.stages}
              problems={save.problems}
              onValues={(stages) => edit({ ...draft, stages })}
            />
          </div>
          <div class="actions">
            <button type="submit" data-kr="settings-save" disabled={save.saving}>
              {save.saving ? "Saving…" : "Save entry"}
            </button>
            <button type="button" class="secondary" onClick={() => (save.reset(), setDraft(null))}>
              Close
            </button>
          </div>
          <SaveState form="knowledge" problems={save.problems} failure={save.failure} saved={save.saved} />
        </form>
      )}
      <Table
        caption={`Entries (${entries.length})`}
        hook="knowledge-table"
        rows={entries}
        rowKey={(entry) => entry.entry_id}
        empty={loaded.data ? "No entries yet." : "Loading…"}
        columns={[
          { title: "Title", cell: (e) => <span data-kr="knowledge-entry-title">{e.title}</span> },
          { title: "Kind", cell: (e) => (e.kind === "faq" ? "FAQ" : "Canned reply") },
          { title: "Language", cell: (e) => e.language },
          { title: "Categories", cell: (e) => textOf(e.categories) || "—" },
          { title: "Stages", cell: (e) => textOf(e.stages) || "—" },
          { title: "Updated", cell: (e) => new Date(e.updated_at).toLocaleString("nl-NL") },
          {
            title: "Change",
            cell: (e) => (
              <span class="row-actions" data-kr="knowledge-entry" data-entry-id={e.entry_id}>
                <button type="button" class="secondary" data-kr="knowledge-edit" onClick={() => open(draftOf(e))}>
                  Edit<span class="visually-hidden"> {e.title}</span>
                </button>
                {deleting === e.entry_id ? (
                  <>
                    <button type="button" data-kr="knowledge-delete-confirm" onClick={() => void remove(e.entry_id)}>
                      Delete now<span class="visually-hidden"> {e.title}</span>
                    </button>
                    <button type="button" class="secondary" onClick={() => setDeleting(null)}>
                      Keep
                    </button>
                  </>
                ) : (
                  <button type="button" class="secondary" data-kr="knowledge-delete" onClick={() => setDeleting(e.entry_id)}>
                    Delete<span class="visually-hidden"> {e.title}</span>
                  </button>
                )}
              </span>
            ),
          },
        ]}
      />
    </section>
  );
}
