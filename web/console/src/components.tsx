/** Small components every page shares: a table, a tile, an error banner and a field's error. */
import type { ComponentChildren } from "preact";
import { describeError } from "./api";

export interface Column<T> {
  title: string;
  /** The cell's content. */
  cell(row: T): ComponentChildren;
  /** Numbers align right. */
  numeric?: boolean;
}

export function Table<T>(props: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey(row: T): string;
  empty?: string;
  hook?: string;
}) {
  const { caption, columns, rows, rowKey, empty, hook } = props;
  return (
    <table class="table" data-kr={hook}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" class={column.numeric ? "num" : undefined} key={column.title}>
              {column.title}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={columns.length} class="empty">
              {empty ?? "Nothing yet."}
            </td>
          </tr>
        ) : (
          rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((column) => (
                <td class={column.numeric ? "num" : undefined} key={column.title}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

export function Tile(props: { label: string; value: ComponentChildren; hint?: ComponentChildren; hook?: string }) {
  return (
    <div class="tile" data-kr={props.hook}>
      <div class="tile-label">{props.label}</div>
      <div class="tile-value">{props.value}</div>
      {props.hint !== undefined && <div class="tile-hint">{props.hint}</div>}
    </div>
  );
}

/** An error as a person reads it, with a retry button when given one; nothing when no error. */
export function ErrorBanner(props: { error: unknown; onRetry?: () => void; hook?: string }) {
  if (!props.error) return null;
  return (
    <div class="banner error" role="alert" data-kr={props.hook}>
      <span>{describeError(props.error)}</span>
      {props.onRetry && (
        <button type="button" onClick={props.onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** The server's 422 message for one input (from api.fieldErrors), tied to it by `id`. */
export function FieldError(props: { id: string; message: string | undefined }) {
  if (!props.message) return null;
  return (
    <span class="field-error" id={props.id} role="alert">
      {props.message}
    </span>
  );
}

/** Money with its currency, as the site's locale writes it. */
export function money(value: number, currency = "EUR"): string {
  return new Intl.NumberFormat("nl-NL", { style: "currency", currency }).format(value);
}

/** A duration in seconds as "45 s", "3 min", "2 h 5 min". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}
