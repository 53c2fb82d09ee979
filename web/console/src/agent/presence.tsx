/** The agent's presence: the availability select in the header and the heartbeat that keeps a
 * signed-in agent present while the console is open (an agent silent past the API's heartbeat
 * window counts as offline and their chats go to others), with a warning while it fails. */
import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { describeError, type Api } from "../api";
import { startPolling } from "../poll";
import type { AgentStatus, AgentView } from "./types";

/** Well inside the API's 2-minute window, so one lost beat does not make the agent offline. */
export const HEARTBEAT_MS = 30_000;
/** After a failed beat, try again sooner (doubling up to HEARTBEAT_MS). */
export const HEARTBEAT_RETRY_MS = 5_000;

export const STATUSES: { value: AgentStatus; label: string }[] = [
  { value: "available", label: "Available" },
  { value: "away", label: "Away" },
  { value: "offline", label: "Offline" },
];

export interface Presence {
  agent: AgentView | undefined;
  /** Why the last heartbeat failed, or null while they succeed. */
  heartbeatProblem: string | null;
  setStatus(status: AgentStatus): Promise<void>;
  statusProblem: string | null;
}

export const PresenceContext = createContext<Presence | null>(null);

export function usePresence(): Presence {
  const presence = useContext(PresenceContext);
  if (!presence) throw new Error("usePresence outside the agent's frame");
  return presence;
}

export function agentPath(agentId: string): string {
  return `/v1/agents/${encodeURIComponent(agentId)}`;
}

/** Holds the agent's profile and beats while mounted. */
export function usePresenceState(api: Api, agentId: string): Presence {
  const [agent, setAgent] = useState<AgentView | undefined>(undefined);
  const [heartbeatProblem, setHeartbeatProblem] = useState<string | null>(null);
  const [statusProblem, setStatusProblem] = useState<string | null>(null);

  useEffect(() => {
    const beat = startPolling(
      async () => {
        try {
          setAgent(await api.post<AgentView>(`${agentPath(agentId)}/heartbeat`));
          setHeartbeatProblem(null);
        } catch (error) {
          setHeartbeatProblem(describeError(error));
          throw error;
        }
      },
      { intervalMs: HEARTBEAT_MS, maxMs: HEARTBEAT_MS, hiddenMs: HEARTBEAT_MS },
    );
    return () => beat.stop();
  }, [api, agentId]);

  return {
    agent,
    heartbeatProblem,
    statusProblem,
    async setStatus(status: AgentStatus) {
      try {
        setAgent(await api.put<AgentView>(`${agentPath(agentId)}/status`, { status }));
        setStatusProblem(null);
      } catch (error) {
        setStatusProblem(describeError(error));
      }
    },
  };
}

/** The header's availability select and the heartbeat warning. */
export function PresenceControls() {
  const { agent, heartbeatProblem, setStatus, statusProblem } = usePresence();
  return (
    <>
      <label>
        Availability
        <select
          data-kr="status"
          value={agent?.set_status ?? ""}
          disabled={!agent}
          onChange={(event) => void setStatus((event.currentTarget as HTMLSelectElement).value as AgentStatus)}
        >
          {!agent && <option value="">…</option>}
          {STATUSES.map((status) => (
            <option key={status.value} value={status.value}>
              {status.label}
            </option>
          ))}
        </select>
      </label>
      {heartbeatProblem && (
        <span class="banner warn heartbeat-warning" role="alert" data-kr="heartbeat-warning">
          Connection lost: your presence is not reaching Klantreis ({heartbeatProblem}). After 2 minutes
          you count as offline and your chats go to colleagues.
        </span>
      )}
      {statusProblem && (
        <span class="banner error" role="alert">
          Status not changed: {statusProblem}
        </span>
      )}
    </>
  );
}
