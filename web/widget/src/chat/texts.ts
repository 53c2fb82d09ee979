/** The chat's and survey's words, Dutch and English. `{}` is filled in (a name, a number). */
import type { Lang } from "../host";

const nl = {
  title: "Chat met ons",
  titleWith: "Chat met {}",
  minimize: "Chat sluiten",
  topic: "Waar gaat je vraag over?",
  other: "Iets anders",
  message: "Je bericht",
  placeholder: "Typ je vraag…",
  send: "Verstuur",
  waiting: "Even geduld, een collega komt zo bij je.",
  queued: "Je bent nummer {} in de rij.",
  failed: "Dat lukte niet. Probeer het nog eens.",
  you: "Jij",
  code: "Je kortingscode:",
  copy: "Kopieer",
  copied: "Gekopieerd",
  ended: "De chat is beëindigd.",
  survey: "Hoe was je chat?",
  csat: "Hoe tevreden ben je? 1 = zeer ontevreden, 5 = zeer tevreden",
  nps: "Hoe waarschijnlijk is het dat je ons aanbeveelt? 0 = niet, 10 = zeker",
  ces: "Hoe makkelijk werd je geholpen? 1 = heel moeilijk, 7 = heel makkelijk",
  channel: "Hoe word je het liefst geholpen?",
  channels: ["Chat", "Telefoon", "E-mail", "WhatsApp", "Social media", "Zelf opzoeken"],
  comment: "Opmerking (niet verplicht)",
  submit: "Versturen",
  skip: "Overslaan",
  answerOne: "Beantwoord minstens één vraag.",
  thanks: "Bedankt voor je reactie!",
};

export type Texts = typeof nl;

const en: Texts = {
  title: "Chat with us",
  titleWith: "Chat with {}",
  minimize: "Close chat",
  topic: "What is your question about?",
  other: "Something else",
  message: "Your message",
  placeholder: "Type your question…",
  send: "Send",
  waiting: "One moment, a colleague will be with you shortly.",
  queued: "You are number {} in the queue.",
  failed: "That did not work. Please try again.",
  you: "You",
  code: "Your discount code:",
  copy: "Copy",
  copied: "Copied",
  ended: "The chat has ended.",
  survey: "How was your chat?",
  csat: "How satisfied are you? 1 = very dissatisfied, 5 = very satisfied",
  nps: "How likely are you to recommend us? 0 = not at all, 10 = certainly",
  ces: "How easy was it to get help? 1 = very hard, 7 = very easy",
  channel: "How do you prefer to get help?",
  channels: ["Chat", "Phone", "Email", "WhatsApp", "Social media", "Self-service"],
  comment: "Comment (optional)",
  submit: "Send",
  skip: "Skip",
  answerOne: "Please answer at least one question.",
  thanks: "Thank you for your feedback!",
};

export const TEXTS: Record<Lang, Texts> = { nl, en };

export const fill = (text: string, value: string | number): string => text.replace("{}", String(value));
