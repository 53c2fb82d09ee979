/** The chat's decisions that need no DOM (unit-tested). */

export const POLL_VISIBLE_MS = 1500;
export const POLL_MINIMIZED_MS = 6000;
export const POLL_HIDDEN_MS = 15_000;
const POLL_MAX_MS = 60_000;

/** How long until the next poll: about 1.5 s while the chat is open on a visible page, slower
 * when minimized or in a hidden tab, doubling after each failed poll. */
export function pollDelay(visible: boolean, open: boolean, failures: number): number {
  const base = !visible ? POLL_HIDDEN_MS : open ? POLL_VISIBLE_MS : POLL_MINIMIZED_MS;
  return Math.min(POLL_MAX_MS, base * 2 ** Math.min(failures, 6));
}

/** What a poll's status means: the chat's token expired or the chat is gone (forget it), or try
 * again later. */
export function pollOutcome(status: number): "ok" | "gone" | "retry" {
  if (status == 200) return "ok";
  return status == 401 || status == 403 || status == 404 ? "gone" : "retry";
}

export interface ChatMessage {
  message_id: string;
  author: "visitor" | "agent" | "bot" | "system";
  text: string;
}

/** Messages not shown yet, in order; `seen` learns their ids. */
export function unseen(messages: ChatMessage[] | undefined, seen: Set<string>): ChatMessage[] {
  return (messages ?? []).filter((message) => {
    if (seen.has(message.message_id)) return false;
    seen.add(message.message_id);
    return true;
  });
}

export const CHANNELS = ["chat", "phone", "email", "whatsapp", "social", "self_service"];

export interface SurveyAnswers {
  csat?: number;
  nps?: number;
  ces?: number;
  preferred_channel?: string;
  comment?: string;
}

/** The survey form's fields as `POST /v1/surveys` takes them; unanswered ones are left out.
 * Null when nothing was answered (the API wants at least one answer). */
export function surveyAnswers(field: (name: string) => string | null): SurveyAnswers | null {
  const answers: SurveyAnswers = {};
  for (const name of ["csat", "nps", "ces"] as const) {
    const value = field(name);
    if (value) answers[name] = Number(value);
  }
  const channel = field("preferred_channel");
  if (channel && CHANNELS.includes(channel)) answers.preferred_channel = channel;
  const comment = field("comment")?.trim();
  if (comment) answers.comment = comment;
  return Object.keys(answers).length ? answers : null;
}
