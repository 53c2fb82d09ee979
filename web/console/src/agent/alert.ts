/** The new-chat alert: a short chime through WebAudio and a desktop notification where the agent
 * allowed them (the console asks only when the agent clicks to enable them). */

let audio: AudioContext | null = null;

/** Two short rising tones; silent where the browser has no WebAudio. */
export function chime(): void {
  try {
    audio ??= new AudioContext();
    const start = audio.currentTime;
    for (const [offset, frequency] of [
      [0, 660],
      [0.16, 880],
    ] as const) {
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      volume.gain.setValueAtTime(0.0001, start + offset);
      volume.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.15);
      tone.connect(volume).connect(audio.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.16);
    }
  } catch {
    // No sound is no reason to miss the chat: the title badge and the inbox still show it.
  }
}

export type NotificationState = "granted" | "denied" | "default" | "unsupported";

export function notificationState(): NotificationState {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

export async function askForNotifications(): Promise<NotificationState> {
  if (typeof Notification === "undefined") return "unsupported";
  return Notification.requestPermission();
}

/** A desktop notification when permitted; clicking it brings the console forward. */
export function notify(title: string, body: string, tag: string, onClick: () => void): void {
  if (notificationState() !== "granted") return;
  try {
    const shown = new Notification(title, { body, tag });
    shown.onclick = () => {
      window.focus();
      onClick();
      shown.close();
    };
  } catch {
    // Some browsers allow notifications only from a service worker: the other signals remain.
  }
}
