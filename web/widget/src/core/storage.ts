/** Web storage that never throws: Safari's private mode, a full quota or blocked cookies must not
 * break the shop's page, they only make the widget forget. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function read<T>(store: KeyValueStore | null, key: string): T | null {
  try {
    const raw = store?.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

/** Writes `value` as JSON; null or undefined removes the key. */
export function write(store: KeyValueStore | null, key: string, value: unknown): void {
  try {
    if (value == null) store?.removeItem(key);
    else store?.setItem(key, JSON.stringify(value));
  } catch {
    // quota or access denied: the widget forgets, the page goes on
  }
}

/** `localStorage`/`sessionStorage`, or null where even reading the property throws. */
export function storage(kind: "localStorage" | "sessionStorage"): KeyValueStore | null {
  try {
    return window[kind];
  } catch {
    return null;
  }
}

/** A random 128-bit id in hex: it fits the API's id pattern and, unlike `crypto.randomUUID`,
 * needs no secure context. */
export function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
    (byte | 256).toString(16).slice(1),
  ).join("");
}
