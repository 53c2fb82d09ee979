/** What the settings forms share, without the DOM: the text a person types turned into the JSON
 * the API validates (the server is the judge: what cannot be read as a number or a time goes as
 * typed, so its 422 names the field), and a 422's problems placed at the inputs they are about. */

/** A number typed into a text input: the number, null when empty, else the text itself (so the
 * API answers 422 at that field rather than the form guessing). */
export function numberOrText(text: string): number | string | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const value = Number(trimmed.replace(",", "."));
  return Number.isFinite(value) && /^-?[\d.,]+$/.test(trimmed) ? value : trimmed;
}

/** "a, b,  c" → ["a", "b", "c"] (empty pieces dropped). */
export function listOf(text: string): string[] {
  return text
    .split(",")
    .map((piece) => piece.trim())
    .filter((piece) => piece !== "");
}

export function textOf(list: readonly string[] | undefined): string {
  return (list ?? []).join(", ");
}

/** "08:00-12:00, 13:00-21:00" → [["08:00", "12:00"], ["13:00", "21:00"]]; "" → [] (closed). A
 * piece without a dash goes as a one-element interval, which the API refuses at that day. */
export function intervalsOf(text: string): string[][] {
  return listOf(text).map((piece) => piece.split(/\s*[-–]\s*/).filter((part) => part !== ""));
}

export function intervalsText(intervals: readonly (readonly string[])[] | undefined): string {
  return (intervals ?? []).map((interval) => interval.join("–")).join(", ");
}

export interface Problem {
  field: string;
  error: string;
}

/**
 * Places a 422's problems at the form's inputs: each input has a key (its field path in the body,
 * e.g. `weekly.mon`, `rules.0.triggers.min_cart_value`), and a problem goes to the longest key
 * that is its field or a parent of it (`weekly.mon.0.1` → `weekly.mon`). A problem of a whole
 * object whose message names one of its members first (`weekly`: "mon: intervals overlap") goes
 * to that member. Problems no input owns are under "" (shown at the top of the form).
 */
export function placeProblems(problems: readonly Problem[], keys: readonly string[]): Record<string, string> {
  const placed: Record<string, string> = {};
  const known = new Set(keys);
  for (const problem of problems) {
    let field = problem.field;
    let message = problem.error.replace(/^Value error, /, "");
    const named = /^([^:\s]+): (.+)$/.exec(message);
    if (named && known.has(`${field}.${named[1]}`)) {
      field = `${field}.${named[1]}`;
      message = named[2] ?? message;
    }
    let owner = "";
    for (const key of keys) {
      if ((field === key || field.startsWith(`${key}.`)) && key.length > owner.length) owner = key;
    }
    const text = owner === "" && field !== "body" && field !== "" ? `${field}: ${message}` : message;
    placed[owner] = placed[owner] ? `${placed[owner]}; ${text}` : text;
  }
  return placed;
}

/** The id of an input's error message, for `aria-describedby`. */
export function errorId(form: string, key: string): string {
  return `${form}-${key.replace(/[^A-Za-z0-9_-]/g, "_")}-error`;
}
