/** Polling: a task run every `intervalMs`, backing off after failures (doubling up to `maxMs`),
 * never two runs at once, paused while the tab is hidden if asked, and run at once on `now()`. */

export interface PollOptions {
  intervalMs: number;
  /** The longest wait after repeated failures. */
  maxMs?: number;
  /** Wait this long while the document is hidden (default: the interval). */
  hiddenMs?: number;
}

/** The wait before the next run after `failures` failures in a row. */
export function nextDelay(options: PollOptions, failures: number, hidden: boolean): number {
  const base = hidden ? (options.hiddenMs ?? options.intervalMs) : options.intervalMs;
  const max = Math.max(options.maxMs ?? 30_000, base);
  return Math.min(base * 2 ** Math.min(failures, 16), max);
}

export interface Poller {
  /** Runs the task now (or right after the run in progress). */
  now(): void;
  stop(): void;
  readonly failures: number;
}

export function startPolling(task: () => Promise<void>, options: PollOptions): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;
  let stopped = false;
  let failures = 0;

  const schedule = (delay: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, delay);
  };
  async function run(): Promise<void> {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await task();
      failures = 0;
    } catch {
      failures += 1;
    } finally {
      running = false;
    }
    const hidden = typeof document !== "undefined" && document.visibilityState === "hidden";
    schedule(again ? 0 : nextDelay(options, failures, hidden));
    again = false;
  }
  schedule(0);
  return {
    now: () => schedule(0),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
    get failures() {
      return failures;
    },
  };
}
