// The shop's catalogue (catalogue.json) and how it shows prices.

export interface Category {
  id: string;
  name: string;
  intro: string;
}

export interface Product {
  id: string;
  name: string;
  category: string;
  price: number;
  colour: string;
  colour_name: string;
  shape: "boot" | "ankle" | "shoe" | "sneaker";
  sizes: number[];
  description: string;
}

export interface Catalogue {
  currency: string;
  categories: Category[];
  products: Product[];
}

const money = new Intl.NumberFormat("nl-NL", { style: "currency", currency: "EUR" });

export function euro(amount: number): string {
  return money.format(amount);
}

export async function loadCatalogue(url: string): Promise<Catalogue> {
  const answer = await fetch(url);
  if (!answer.ok) throw new Error(`catalogue: HTTP ${answer.status}`);
  return (await answer.json()) as Catalogue;
}
