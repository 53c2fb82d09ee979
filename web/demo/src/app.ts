// Stapvast, the demo shop: every page is the same HTML shell and this script renders what the path
// names. It tells Klantreis what the shopper does exactly as a real shop would (product views,
// cart, checkout steps, the purchase with its discount code) and asks consent in its own banner.
import { type Catalogue, type Product, euro, loadCatalogue } from "./catalogue";
import { type Line, type Order, addLine, cartLines, cartCount, clearCart, removeLine, saveOrder, savedOrder } from "./cart";
import { h, replace } from "./dom";

type KlantreisCommand = (command: string, ...args: unknown[]) => void;
declare global {
  interface Window {
    klantreis?: KlantreisCommand;
  }
}

const BASE = "/demo";
const CONSENT_KEY = "stapvast_consent";
const DISCOUNT_KEY = "stapvast_discount";
const CHAT_CODE = /^KR-[A-Z0-9]{6,16}$/;
const DEMO_CODE = "WELKOM10";
const DISCOUNT_PERCENT = 10;
const CHECKOUT_STEPS = ["Gegevens", "Verzending en betaling", "Overzicht"] as const;

/** Hands a command to Klantreis (its queue holds it until the widget has loaded). */
function track(command: string, ...args: unknown[]): void {
  window.klantreis?.(command, ...args);
}

function main(): HTMLElement {
  const element = document.getElementById("main");
  if (!element) throw new Error("the shell has no <main>");
  return element;
}

function storage(area: "local" | "session"): Storage | null {
  try {
    return area === "local" ? window.localStorage : window.sessionStorage;
  } catch {
    return null; // storage blocked (private mode): the shop still works for this page
  }
}

// --------------------------------------------------------------------------- consent banner
function setUpConsent(): void {
  const banner = document.getElementById("consent");
  const accept = document.getElementById("consent-accept");
  const deny = document.getElementById("consent-deny");
  const settings = document.getElementById("cookie-settings");
  if (!banner || !accept || !deny) return;
  const stored = storage("local")?.getItem(CONSENT_KEY);
  if (stored === "granted" || stored === "denied") {
    track("consent", stored); // the shop's consent platform repeats the choice on every page
  } else {
    banner.hidden = false;
  }
  const choose = (choice: "granted" | "denied"): void => {
    try {
      storage("local")?.setItem(CONSENT_KEY, choice);
    } catch {
      // full or blocked storage: the choice holds for this page
    }
    track("consent", choice);
    banner.hidden = true;
    main().focus();
  };
  accept.addEventListener("click", () => choose("granted"));
  deny.addEventListener("click", () => choose("denied"));
  settings?.addEventListener("click", () => {
    banner.hidden = false;
    accept.focus();
  });
}

// --------------------------------------------------------------------------- header
function renderNav(catalogue: Catalogue): void {
  const nav = document.getElementById("nav");
  if (!nav) return;
  const current = location.pathname;
  replace(
    nav,
    h("ul", {}, ...catalogue.categories.map((c) => {
      const href = `${BASE}/c/${c.id}`;
      return h("li", {}, h("a", { href, "aria-current": current === href ? "page" : null }, c.name));
    })),
  );
}

function renderCartCount(): void {
  const count = document.getElementById("cart-count");
  if (count) count.textContent = String(cartCount());
}

// --------------------------------------------------------------------------- pages
function productCard(product: Product): HTMLElement {
  return h(
    "li",
    { class: "card" },
    h(
      "a",
      { href: `${BASE}/products/${product.id}`, class: "card-link" },
      picture(product, "card-img"),
      h("span", { class: "card-name" }, product.name),
      h("span", { class: "card-colour" }, product.colour_name),
      h("span", { class: "price" }, euro(product.price)),
    ),
  );
}

function picture(product: Product, extra: string): HTMLElement {
  return h("span", { class: `pic shape-${product.shape} c-${product.colour} ${extra}`, role: "img", "aria-label": product.name });
}

function home(catalogue: Catalogue): HTMLElement[] {
  return [
    h(
      "section",
      { class: "hero" },
      h("h1", {}, "Laarzenweer."),
      h("p", {}, "Warme voeten, droge voeten: onze nieuwe laarzen zijn binnen. Twijfel je over de maat? Onze adviseurs helpen je in de chat."),
      h("a", { class: "button", href: `${BASE}/c/dameslaarzen` }, "Bekijk dameslaarzen"),
    ),
    ...catalogue.categories.map((category) =>
      h(
        "section",
        { class: "shelf" },
        h("h2", {}, h("a", { href: `${BASE}/c/${category.id}` }, category.name)),
        h("ul", { class: "grid" }, ...catalogue.products.filter((p) => p.category === category.id).slice(0, 4).map(productCard)),
      ),
    ),
  ];
}

function categoryPage(catalogue: Catalogue, categoryId: string): HTMLElement[] {
  const category = catalogue.categories.find((c) => c.id === categoryId);
  if (!category) return notFound();
  document.title = `${category.name} — Stapvast`;
  // Switching category stays on the page (history.pushState), as in many shops' product lists.
  const tabs = h(
    "nav",
    { class: "tabs", "aria-label": "Andere categorieën" },
    ...catalogue.categories.map((c) =>
      h("a", { href: `${BASE}/c/${c.id}`, "data-spa": "", "aria-current": c.id === categoryId ? "page" : null }, c.name),
    ),
  );
  return [
    h("h1", {}, category.name),
    h("p", { class: "intro" }, category.intro),
    tabs,
    h("ul", { class: "grid" }, ...catalogue.products.filter((p) => p.category === categoryId).map(productCard)),
  ];
}

function productPage(catalogue: Catalogue, productId: string): HTMLElement[] {
  const product = catalogue.products.find((p) => p.id === productId);
  if (!product) return notFound();
  const category = catalogue.categories.find((c) => c.id === product.category);
  document.title = `${product.name} — Stapvast`;
  track("product_view", { product_id: product.id, category: product.category, value: product.price, currency: catalogue.currency });
  const size = h(
    "select",
    { id: "size", name: "size", required: "" },
    ...product.sizes.map((s) => h("option", { value: String(s), selected: s === 39 ? "" : null }, String(s))),
  );
  const added = h("p", { class: "added", role: "status" });
  const add = h("button", { type: "submit", class: "button", "data-kr": "add-to-cart" }, "In winkelwagen");
  const form = h(
    "form",
    { class: "buy" },
    h("label", { for: "size" }, "Maat"),
    size,
    add,
    added,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = Number((size as HTMLSelectElement).value);
    addLine(product.id, chosen);
    track("add_to_cart", {
      product_id: product.id, category: product.category, value: product.price, currency: catalogue.currency, quantity: 1, size: chosen,
    });
    renderCartCount();
    replace(added, "Toegevoegd. ", h("a", { href: `${BASE}/cart` }, "Naar je winkelwagen"));
  });
  return [
    h(
      "nav",
      { class: "crumbs", "aria-label": "Kruimelpad" },
      h("a", { href: `${BASE}/` }, "Home"),
      " / ",
      h("a", { href: `${BASE}/c/${product.category}` }, category?.name ?? product.category),
    ),
    h(
      "article",
      { class: "product" },
      picture(product, "product-img"),
      h(
        "div",
        { class: "product-info" },
        h("h1", {}, product.name),
        h("p", { class: "card-colour" }, product.colour_name),
        h("p", { class: "price big" }, euro(product.price)),
        h("p", {}, product.description),
        form,
        h("ul", { class: "ticks" }, h("li", {}, "Gratis verzending en retour"), h("li", {}, "Voor 22:00 besteld, morgen in huis"), h("li", {}, "Vragen over de maat? Chat met een adviseur")),
      ),
    ),
  ];
}

function lineTotal(catalogue: Catalogue, line: Line): number {
  return (catalogue.products.find((p) => p.id === line.product_id)?.price ?? 0) * line.quantity;
}

function subtotal(catalogue: Catalogue): number {
  return round(cartLines().reduce((sum, line) => sum + lineTotal(catalogue, line), 0));
}

function round(amount: number): number {
  return Math.round(amount * 100) / 100;
}

function cartPage(catalogue: Catalogue): HTMLElement[] {
  document.title = "Winkelwagen — Stapvast";
  const lines = cartLines();
  if (lines.length === 0) {
    return [h("h1", {}, "Je winkelwagen"), h("p", {}, "Je winkelwagen is nog leeg."), h("a", { class: "button", href: `${BASE}/` }, "Verder winkelen")];
  }
  const rows = lines.map((line) => {
    const product = catalogue.products.find((p) => p.id === line.product_id);
    const remove = h("button", { type: "button", class: "linkish", "data-kr": "remove-from-cart" }, "Verwijderen");
    remove.addEventListener("click", () => {
      removeLine(line);
      if (product) {
        track("remove_from_cart", { product_id: product.id, category: product.category, value: product.price, currency: catalogue.currency, quantity: line.quantity });
      }
      renderCartCount();
      render(catalogue);
    });
    return h(
      "li",
      { class: "line" },
      product ? picture(product, "line-img") : h("span"),
      h("span", { class: "line-name" }, product?.name ?? line.product_id, h("small", {}, `Maat ${line.size} · ${line.quantity}×`)),
      h("span", { class: "price" }, euro(lineTotal(catalogue, line))),
      remove,
    );
  });
  return [
    h("h1", {}, "Je winkelwagen"),
    h("ul", { class: "lines" }, ...rows),
    h("p", { class: "total" }, "Totaal ", h("strong", {}, euro(subtotal(catalogue)))),
    h("a", { class: "button", href: `${BASE}/checkout/1`, "data-kr": "checkout" }, "Bestellen"),
  ];
}

function discountOf(code: string): number {
  const normalised = code.trim().toUpperCase();
  return CHAT_CODE.test(normalised) || normalised === DEMO_CODE ? DISCOUNT_PERCENT : 0;
}

function checkoutPage(catalogue: Catalogue, step: number): HTMLElement[] {
  if (cartLines().length === 0) return cartPage(catalogue);
  document.title = `Bestellen, stap ${step} van 3 — Stapvast`;
  const amount = subtotal(catalogue);
  track("checkout_step", { step, value: amount, currency: catalogue.currency });
  const progress = h(
    "ol",
    { class: "steps" },
    ...CHECKOUT_STEPS.map((name, index) => h("li", { "aria-current": index + 1 === step ? "step" : null, class: index + 1 < step ? "done" : null }, name)),
  );
  const form = h("form", { class: "checkout", novalidate: "" });
  const next = h("button", { type: "submit", class: "button", "data-kr": step < 3 ? "checkout-next" : "place-order" }, step < 3 ? "Verder" : "Bestelling plaatsen");
  if (step === 1) {
    form.append(
      field("name", "Naam", "Anna de Vries", "name"),
      field("email", "E-mailadres", "anna@example.nl", "email"),
      field("address", "Adres", "Keizersgracht 1", "street-address"),
      field("postcode", "Postcode en plaats", "1015 CJ Amsterdam", "postal-code"),
    );
  } else if (step === 2) {
    form.append(
      choice("shipping", "Verzending", [["standard", "Standaard, morgen in huis (gratis)"], ["pickup", "Ophalen bij een afhaalpunt (gratis)"]]),
      choice("payment", "Betalen met", [["ideal", "iDEAL"], ["card", "Creditcard"], ["klarna", "Achteraf betalen"]]),
    );
  } else {
    form.append(...summary(catalogue, amount));
  }
  form.append(next);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (step < 3) {
      navigate(`${BASE}/checkout/${step + 1}`, catalogue);
      return;
    }
    placeOrder(catalogue, amount);
  });
  return [h("h1", {}, "Bestellen"), progress, form];
}

function summary(catalogue: Catalogue, amount: number): HTMLElement[] {
  const input = h("input", { id: "discount", name: "discount", "data-kr": "discount-input", autocomplete: "off", spellcheck: "false" }) as HTMLInputElement;
  const stored = storage("session")?.getItem(DISCOUNT_KEY) ?? "";
  input.value = stored;
  const feedback = h("p", { class: "discount-feedback", role: "status", id: "discount-feedback" });
  const totals = h("dl", { class: "totals" });
  const show = (): void => {
    const percent = discountOf(input.value);
    const off = round((amount * percent) / 100);
    replace(
      totals,
      h("dt", {}, "Subtotaal"), h("dd", {}, euro(amount)),
      ...(percent ? [h("dt", {}, `Korting (${percent}%)`), h("dd", {}, `− ${euro(off)}`)] : []),
      h("dt", {}, "Verzending"), h("dd", {}, "gratis"),
      h("dt", { class: "grand" }, "Totaal"), h("dd", { class: "grand", "data-kr": "order-total" }, euro(round(amount - off))),
    );
  };
  const apply = h("button", { type: "button", class: "button secondary", "data-kr": "discount-apply" }, "Toepassen");
  apply.addEventListener("click", () => {
    const percent = discountOf(input.value);
    if (percent) {
      storage("session")?.setItem(DISCOUNT_KEY, input.value.trim().toUpperCase());
      feedback.textContent = `Code toegepast: ${percent}% korting.`;
    } else {
      feedback.textContent = "Deze code kennen we niet.";
    }
    show();
  });
  input.addEventListener("input", show);
  input.setAttribute("aria-describedby", "discount-feedback");
  show();
  const lines = cartLines().map((line) => {
    const product = catalogue.products.find((p) => p.id === line.product_id);
    return h("li", {}, `${product?.name ?? line.product_id}, maat ${line.size}`, h("span", { class: "price" }, euro(lineTotal(catalogue, line))));
  });
  return [
    h("ul", { class: "summary" }, ...lines),
    h("div", { class: "discount" }, h("label", { for: "discount" }, "Kortingscode"), h("div", { class: "discount-row" }, input, apply), feedback),
    totals,
  ];
}

function placeOrder(catalogue: Catalogue, amount: number): void {
  const input = document.getElementById("discount") as HTMLInputElement | null;
  const code = (input?.value ?? "").trim().toUpperCase();
  const percent = discountOf(code);
  const total = round(amount - round((amount * percent) / 100));
  const order: Order = {
    order_id: `SV-${Date.now().toString(36).toUpperCase()}`,
    total,
    discount_code: percent ? code : null,
    lines: cartLines(),
  };
  track("purchase", {
    value: total, currency: catalogue.currency, order_id: order.order_id, ...(order.discount_code ? { discount_code: order.discount_code } : {}),
  });
  saveOrder(order);
  clearCart();
  storage("session")?.removeItem(DISCOUNT_KEY);
  renderCartCount();
  navigate(`${BASE}/order`, catalogue);
}

function orderPage(catalogue: Catalogue): HTMLElement[] {
  document.title = "Bedankt — Stapvast";
  const order = savedOrder();
  if (!order) return [h("h1", {}, "Geen bestelling gevonden"), h("a", { href: `${BASE}/` }, "Naar de winkel")];
  return [
    h(
      "section",
      { class: "confirmed", "data-kr": "order-confirmed" },
      h("h1", {}, "Bedankt voor je bestelling!"),
      h("p", {}, `Je bestelnummer is ${order.order_id}. Je betaalde ${euro(order.total)}${order.discount_code ? ` met kortingscode ${order.discount_code}` : ""}.`),
      h("ul", { class: "summary" }, ...order.lines.map((line) => h("li", {}, `${catalogue.products.find((p) => p.id === line.product_id)?.name ?? line.product_id}, maat ${line.size}`))),
      h("p", {}, "We sturen je een e-mail zodra je pakket onderweg is."),
      h("a", { class: "button", href: `${BASE}/` }, "Verder winkelen"),
    ),
  ];
}

function notFound(): HTMLElement[] {
  document.title = "Niet gevonden — Stapvast";
  return [h("h1", {}, "Deze pagina bestaat niet"), h("a", { href: `${BASE}/` }, "Naar de winkel")];
}

function field(name: string, label: string, value: string, autocomplete: string): HTMLElement {
  return h("p", { class: "field" }, h("label", { for: name }, label), h("input", { id: name, name, value, autocomplete, required: "" }));
}

function choice(name: string, legend: string, options: [string, string][]): HTMLElement {
  return h(
    "fieldset",
    {},
    h("legend", {}, legend),
    ...options.map(([value, text], index) =>
      h("label", { class: "option" }, h("input", { type: "radio", name, value, checked: index === 0 ? "" : null }), text),
    ),
  );
}

// --------------------------------------------------------------------------- routing
function pageFor(catalogue: Catalogue, path: string): HTMLElement[] {
  const parts = path.replace(/^\/demo\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [section, id] = parts;
  if (!section) return home(catalogue);
  if (section === "c" && id) return categoryPage(catalogue, id);
  if (section === "products" && id) return productPage(catalogue, id);
  if (section === "cart") return cartPage(catalogue);
  if (section === "checkout") return checkoutPage(catalogue, Math.min(Math.max(Number(id ?? 1) || 1, 1), 3));
  if (section === "order") return orderPage(catalogue);
  return notFound();
}

function render(catalogue: Catalogue): void {
  document.title = "Stapvast — laarzen en schoenen";
  replace(main(), ...pageFor(catalogue, location.pathname));
  renderNav(catalogue);
  renderCartCount();
}

/** In-page navigation (history.pushState): Klantreis sees it as a page view of its own. */
function navigate(path: string, catalogue: Catalogue): void {
  history.pushState(null, "", path);
  render(catalogue);
  window.scrollTo(0, 0);
  main().focus();
}

async function start(): Promise<void> {
  setUpConsent();
  let catalogue: Catalogue;
  try {
    catalogue = await loadCatalogue(`${BASE}/catalogue.json`);
  } catch {
    replace(main(), h("h1", {}, "De winkel is even niet bereikbaar"), h("p", {}, "Probeer het over een paar minuten opnieuw."));
    return;
  }
  render(catalogue);
  document.addEventListener("click", (event) => {
    const link = (event.target as Element | null)?.closest?.("a[data-spa]");
    if (!(link instanceof HTMLAnchorElement) || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(link.pathname, catalogue);
  });
  window.addEventListener("popstate", () => render(catalogue));
}

void start();
