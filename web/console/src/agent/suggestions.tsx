/** Answer suggestions beside the chat: the knowledge base ranked for the visitor's latest
 * messages and journey (GET /v1/chats/{id}/suggestions), loaded again when the visitor writes.
 * A click puts the answer into the composer for editing. */
import type { Api } from "../api";
import { ErrorBanner } from "../components";
import { useLoaded } from "../hooks";
import type { Suggestion } from "./types";

export function SuggestionsPanel(props: { api: Api; chatId: string; lastVisitorMessage: string | null; onPick(text: string): void }) {
  const { data, error, refresh } = useLoaded(
    () => props.api.get<{ suggestions: Suggestion[] }>(`/v1/chats/${encodeURIComponent(props.chatId)}/suggestions`, { limit: 5 }),
    [props.api, props.chatId, props.lastVisitorMessage],
  );
  return (
    <section class="panel suggestions" aria-labelledby="suggestions-title">
      <h2 id="suggestions-title">Suggested answers</h2>
      <ErrorBanner error={error} onRetry={refresh} />
      {!data ? (
        <p class="muted">Looking for answers…</p>
      ) : data.suggestions.length === 0 ? (
        <p class="muted">No answer in the knowledge base matches yet.</p>
      ) : (
        <ul>
          {data.suggestions.map((suggestion) => (
            <li key={suggestion.entry_id}>
              <button
                type="button"
                class="suggestion"
                data-kr="suggestion"
                title="Put this answer in your reply to edit it"
                onClick={() => props.onPick(suggestion.body)}
              >
                <span class="suggestion-title">
                  {suggestion.title} <span class="tag">{suggestion.kind === "canned" ? "reply" : "FAQ"}</span>
                </span>
                <span class="suggestion-body">{suggestion.body}</span>
                {suggestion.matched_terms.length > 0 && <span class="muted small">matched: {suggestion.matched_terms.join(", ")}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
