/** Preact hooks over the API: a value polled from it, with its error. */
import { useEffect, useRef, useState } from "preact/hooks";
import { startPolling, type PollOptions, type Poller } from "./poll";

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  /** Poll again now (e.g. after the user changed something). */
  refresh(): void;
}

/** Polls `load` while the component is mounted (again whenever `deps` change). */
export function usePolled<T>(load: () => Promise<T>, options: PollOptions, deps: readonly unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const poller = useRef<Poller | null>(null);
  useEffect(() => {
    let live = true;
    poller.current = startPolling(async () => {
      try {
        const value = await load();
        if (!live) return;
        setData(value);
        setError(null);
      } catch (failure) {
        if (live) setError(failure);
        throw failure;
      }
    }, options);
    return () => {
      live = false;
      poller.current?.stop();
    };
  }, deps);
  return { data, error, refresh: () => poller.current?.now() };
}

/** A value loaded once (again whenever `deps` change). */
export function useLoaded<T>(load: () => Promise<T>, deps: readonly unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && (setData(value), setError(null)),
      (failure: unknown) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { data, error, refresh: () => setRound((n) => n + 1) };
}
