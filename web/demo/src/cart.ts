// The shop's own cart and last order, in the shopper's browser (functional storage: no consent
// needed, unlike Klantreis' tracking).

export interface Line {
  product_id: string;
  size: number;
  quantity: number;
}

export interface Order {
  order_id: string;
  total: number;
  discount_code: string | null;
  lines: Line[];
}

const CART_KEY = "stapvast_cart";
const ORDER_KEY = "stapvast_order";

function read<T>(area: () => Storage, key: string, fallback: T): T {
  try {
    const raw = area().getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}

function write(area: () => Storage, key: string, value: unknown): void {
  try {
    area().setItem(key, JSON.stringify(value));
  } catch {
    // blocked or full storage: the cart lives for this page only
  }
}

const local = (): Storage => window.localStorage;
const session = (): Storage => window.sessionStorage;

export function cartLines(): Line[] {
  return read<Line[]>(local, CART_KEY, []);
}

export function cartCount(): number {
  return cartLines().reduce((sum, line) => sum + line.quantity, 0);
}

export function addLine(productId: string, size: number): void {
  const lines = cartLines();
  const same = lines.find((line) => line.product_id === productId && line.size === size);
  if (same) same.quantity += 1;
  else lines.push({ product_id: productId, size, quantity: 1 });
  write(local, CART_KEY, lines);
}

export function removeLine(removed: Line): void {
  write(local, CART_KEY, cartLines().filter((line) => !(line.product_id === removed.product_id && line.size === removed.size)));
}

export function clearCart(): void {
  write(local, CART_KEY, []);
}

export function saveOrder(order: Order): void {
  write(session, ORDER_KEY, order);
}

export function savedOrder(): Order | null {
  return read<Order | null>(session, ORDER_KEY, null);
}
