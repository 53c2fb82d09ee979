/** Consent. In `required` mode (the EU default) nothing is sent or stored before the visitor
 * grants it; in `implied` mode (`implied` true) tracking runs until the visitor denies it. */
export type ConsentChoice = "granted" | "denied" | null;

/** Whether the widget may send and store anything about the visitor. */
export function hasConsent(implied: boolean, choice: ConsentChoice): boolean {
  return choice == "granted" || (choice == null && implied);
}

/** The choice the widget remembers: a refusal in `required` mode equals having no choice, so
 * nothing at all is stored for it. */
export function choiceToStore(implied: boolean, choice: ConsentChoice): ConsentChoice {
  return choice == "denied" && !implied ? null : choice;
}
