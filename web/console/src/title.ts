/** The document's title: the page's name, with the count of chats waiting for the agent as a
 * badge in front ("(2) Chats · Klantreis") so a background tab shows it. */
let page = "Klantreis console";
let badge = 0;

export function titleText(pageTitle: string, count: number): string {
  return `${count > 0 ? `(${count}) ` : ""}${pageTitle} · Klantreis`;
}

function show(): void {
  document.title = titleText(page, badge);
}

export function setPageTitle(title: string): void {
  page = title;
  show();
}

export function setBadge(count: number): void {
  badge = count;
  show();
}
