/** A settings form's save: while it runs, the 422's problems placed at the inputs, any other
 * failure, and whether it succeeded. */
import { useEffect, useState } from "preact/hooks";
import { ApiError, describeError } from "../api";
import { useLoaded, type Polled } from "../hooks";
import { placeProblems } from "./form";

export interface Save {
  saving: boolean;
  saved: boolean;
  problems: Record<string, string>;
  failure: string | null;
  /** Runs `action`; on a 422 places its problems at `keys`. True when it succeeded. */
  run(keys: readonly string[], action: () => Promise<unknown>): Promise<boolean>;
  /** Clears the outcome (when the form is edited again or another item is opened). */
  reset(): void;
}

export function useSave(): Save {
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  return {
    saving,
    saved,
    problems,
    failure,
    async run(keys, action) {
      setSaving(true);
      setSaved(false);
      setProblems({});
      setFailure(null);
      try {
        await action();
        setSaved(true);
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 422) {
          const details = error.details.length ? error.details : [{ field: "", error: error.message }];
          setProblems(placeProblems(details, keys));
        } else {
          setFailure(describeError(error));
        }
        return false;
      } finally {
        setSaving(false);
      }
    },
    reset() {
      setSaved(false);
      setProblems({});
      setFailure(null);
    },
  };
}

export interface EditedSetting<T, D> {
  loaded: Polled<T>;
  /** The form's values; null until the setting has loaded. */
  draft: D | null;
  setDraft(draft: D | null): void;
  /** Changes the draft (and clears a "Saved" from before). */
  edit(draft: D): void;
  save: Save;
}

/** A setting loaded from the API into a draft the form edits; a reload (after a save) replaces
 * the draft with what the API now holds. */
export function useEditedSetting<T, D>(load: () => Promise<T>, key: string, draftOf: (value: T) => D): EditedSetting<T, D> {
  const loaded = useLoaded(load, [key]);
  const [draft, setDraft] = useState<D | null>(null);
  const save = useSave();
  useEffect(() => {
    if (loaded.data) setDraft(draftOf(loaded.data));
  }, [loaded.data]);
  return {
    loaded,
    draft,
    setDraft,
    save,
    edit(next) {
      setDraft(next);
      if (save.saved) save.reset();
    },
  };
}
