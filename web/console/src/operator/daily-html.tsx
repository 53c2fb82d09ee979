/** The nightly HTML page of a day (`GET /v1/reports/daily.html`), shown inside the console and
 * downloadable as the file the nightly job writes.
 *
 * The page needs the bearer token, so it is fetched, not linked or framed (it refuses framing
 * anyway). It is parsed inert (DOMParser runs nothing) and its `<main>` placed in a shadow root:
 * its own stylesheet becomes a constructed one (adoptedStyleSheets) and its few style attributes
 * are set through the CSSOM, so the console's strict CSP (no inline style) holds. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorBanner } from "../components";
import type { PageContext } from "../pages";
import { saveText } from "./download";

const STYLED = "data-kr-style";

/** The page's stylesheets and style attributes taken out of its text before it is parsed (a
 * parsed `<style>` or `style=""` counts against the console's CSP even in an inert document):
 * the text without them, the CSS, and the attributes' values by the index left in their place. */
export function withoutInlineStyles(html: string): { html: string; css: string; styles: string[] } {
  const sheets: string[] = [];
  const styles: string[] = [];
  const bare = html
    .replace(/<style[^>]*>([\s\S]*?)<\/style>/gi, (_, css: string) => {
      sheets.push(css);
      return "";
    })
    .replace(/\sstyle="([^"]*)"/gi, (_, value: string) => {
      styles.push(value);
      return ` ${STYLED}="${styles.length - 1}"`;
    });
  return { html: bare, css: sheets.join("\n"), styles };
}

/** Puts the report page `html` into `host`'s shadow root (replacing what was there). */
export function showPage(host: HTMLElement, html: string): void {
  const parts = withoutInlineStyles(html);
  const page = new DOMParser().parseFromString(parts.html, "text/html");
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(parts.css.replaceAll(":root", ":host"));
  for (const script of page.querySelectorAll("script")) script.remove();
  const root = host.shadowRoot ?? host.attachShadow({ mode: "open" });
  root.adoptedStyleSheets = [sheet];
  const content = page.querySelector("main") ?? page.body;
  root.replaceChildren(document.importNode(content, true));
  for (const element of root.querySelectorAll<HTMLElement | SVGElement>(`[${STYLED}]`)) {
    element.style.cssText = parts.styles[Number(element.getAttribute(STYLED))] ?? "";
    element.removeAttribute(STYLED);
  }
}

export function DailyHtml(props: { context: PageContext; day: string }) {
  const { context } = props;
  const [day, setDay] = useState(props.day);
  const [shown, setShown] = useState<{ day: string; html: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => setDay(props.day), [props.day]);
  useEffect(() => {
    if (shown && host.current) showPage(host.current, shown.html);
  }, [shown]);

  const load = async (): Promise<string | null> => {
    setBusy(true);
    try {
      const html = await context.api.text("/v1/reports/daily.html", { from: day, to: day });
      setError(null);
      return html;
    } catch (failure) {
      setError(failure);
      return null;
    } finally {
      setBusy(false);
    }
  };
  const view = async () => {
    const html = await load();
    if (html !== null) setShown({ day, html });
  };
  const download = async () => {
    const html = shown?.day === day ? shown.html : await load();
    if (html !== null) saveText(html, `klantreis-report-${day}.html`, "text/html");
  };

  return (
    <div class="panel" data-kr="report-html">
      <h2>The nightly page of a day</h2>
      <form
        class="report-range"
        onSubmit={(event) => {
          event.preventDefault();
          void view();
        }}
      >
        <label>
          Day <input type="date" data-kr="report-html-day" value={day} onInput={(e) => setDay(e.currentTarget.value)} />
        </label>
        <button type="submit" data-kr="report-html-view" disabled={busy}>
          View the page
        </button>
        <button type="button" class="secondary" data-kr="report-html-download" disabled={busy} onClick={() => void download()}>
          Download it
        </button>
      </form>
      <ErrorBanner error={error} />
      {shown && <p class="muted">The page of {shown.day}, as the nightly job writes it:</p>}
      <div class="daily-page" data-kr="report-html-page" ref={host} />
    </div>
  );
}
