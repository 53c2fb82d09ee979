/** Fakes for the widget's ports: storage in a Map, the API as a scripted list of statuses. */
import type { KeyValueStore } from "../src/core/storage";
import type { Answer, TrackingEnv } from "../src/core/tracking";

export class MemoryStore implements KeyValueStore {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  json(key: string): unknown {
    const raw = this.items.get(key);
    return raw == null ? null : JSON.parse(raw);
  }
}

export interface Sent {
  path: string;
  body: Record<string, unknown> & { events?: { event_id: string; type: string }[] };
  via: "fetch" | "beacon";
}

/** A fake API: answers each request with the next scripted answer (200 `{}` when none is left). */
export class FakeApi {
  readonly sent: Sent[] = [];
  readonly answers: Answer[] = [];
  beaconAccepts = true;
  clock = Date.parse("2026-12-04T10:00:00Z");
  page = "https://shop.example/laarzen/b-39";
  readonly store = new MemoryStore();

  env(): TrackingEnv {
    return {
      local: this.store,
      post: async (path, body) => {
        this.sent.push({ path, body: structuredClone(body) as Sent["body"], via: "fetch" });
        return this.answers.shift() ?? [200, {}];
      },
      beacon: (path, body) => {
        if (this.beaconAccepts) this.sent.push({ path, body: structuredClone(body) as Sent["body"], via: "beacon" });
        return this.beaconAccepts;
      },
      now: () => this.clock,
      url: () => this.page,
    };
  }

  eventIds(): string[] {
    return this.sent.flatMap((request) => request.body.events?.map((event) => event.event_id) ?? []);
  }
}

/** Lets pending promise callbacks run. */
export const settle = (): Promise<void> => new Promise((done) => setImmediate(done));
