/** Labelled inputs of the settings forms, each with the server's 422 message for it beside it
 * (tied by aria-describedby, marked aria-invalid). `name` is the input's field path in the body. */
import type { ComponentChildren } from "preact";
import { FieldError } from "../components";
import { errorId } from "./form";

interface FieldProps {
  form: string;
  name: string;
  label: string;
  problems: Record<string, string>;
  hint?: string;
  hook?: string;
}

function described(props: FieldProps): { id: string; errorKey: string; hintKey: string; describedBy: string | undefined } {
  const id = `${props.form}-${props.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const errorKey = errorId(props.form, props.name);
  const hintKey = `${id}-hint`;
  const ids = [props.problems[props.name] ? errorKey : "", props.hint ? hintKey : ""].filter(Boolean);
  return { id, errorKey, hintKey, describedBy: ids.length ? ids.join(" ") : undefined };
}

function Frame(props: FieldProps & { id: string; errorKey: string; hintKey: string; children: ComponentChildren }) {
  return (
    <div class="field" data-field={props.name}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <span class="hint" id={props.hintKey}>
          {props.hint}
        </span>
      )}
      <FieldError id={props.errorKey} message={props.problems[props.name]} />
    </div>
  );
}

export function TextField(
  props: FieldProps & { value: string; onValue(value: string): void; multiline?: boolean; inputMode?: "decimal" | "numeric" },
) {
  const ids = described(props);
  const common = {
    id: ids.id,
    value: props.value,
    "data-kr": props.hook,
    "aria-invalid": props.problems[props.name] ? ("true" as const) : undefined,
    "aria-describedby": ids.describedBy,
    onInput: (event: Event) => props.onValue((event.currentTarget as HTMLInputElement | HTMLTextAreaElement).value),
  };
  return (
    <Frame {...props} {...ids}>
      {props.multiline ? <textarea rows={4} {...common} /> : <input type="text" inputMode={props.inputMode} {...common} />}
    </Frame>
  );
}

export function SelectField(
  props: FieldProps & { value: string; options: readonly (readonly [string, string])[]; onValue(value: string): void },
) {
  const ids = described(props);
  return (
    <Frame {...props} {...ids}>
      <select
        id={ids.id}
        value={props.value}
        data-kr={props.hook}
        aria-invalid={props.problems[props.name] ? "true" : undefined}
        aria-describedby={ids.describedBy}
        onChange={(event) => props.onValue((event.currentTarget as HTMLSelectElement).value)}
      >
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </Frame>
  );
}

/** A group of checkboxes (e.g. stages) as one field. */
export function ChoiceField(
  props: FieldProps & { values: readonly string[]; options: readonly string[]; onValues(values: string[]): void },
) {
  const ids = described(props);
  return (
    <fieldset class="field choices" data-field={props.name} aria-describedby={ids.describedBy}>
      <legend>{props.label}</legend>
      {props.options.map((option) => (
        <label key={option} class="choice">
          <input
            type="checkbox"
            checked={props.values.includes(option)}
            onChange={(event) => {
              const on = (event.currentTarget as HTMLInputElement).checked;
              props.onValues(on ? [...props.values, option] : props.values.filter((v) => v !== option));
            }}
          />{" "}
          {option}
        </label>
      ))}
      {props.hint && (
        <span class="hint" id={ids.hintKey}>
          {props.hint}
        </span>
      )}
      <FieldError id={ids.errorKey} message={props.problems[props.name]} />
    </fieldset>
  );
}

export function CheckField(props: FieldProps & { checked: boolean; onChecked(checked: boolean): void }) {
  const ids = described(props);
  return (
    <div class="field check" data-field={props.name}>
      <label>
        <input
          type="checkbox"
          checked={props.checked}
          data-kr={props.hook}
          aria-describedby={ids.describedBy}
          onChange={(event) => props.onChecked((event.currentTarget as HTMLInputElement).checked)}
        />{" "}
        {props.label}
      </label>
      <FieldError id={ids.errorKey} message={props.problems[props.name]} />
    </div>
  );
}

/** The form's outcome line: problems no input owns, a failure, or "Saved". */
export function SaveState(props: { form: string; problems: Record<string, string>; failure: string | null; saved: boolean }) {
  const general = props.problems[""];
  return (
    <div class="save-state" aria-live="polite">
      {general && (
        <p class="banner error" role="alert" data-kr={`${props.form}-problem`}>
          Not saved: {general}
        </p>
      )}
      {props.failure && (
        <p class="banner error" role="alert" data-kr={`${props.form}-problem`}>
          Not saved: {props.failure}
        </p>
      )}
      {Object.keys(props.problems).some((key) => key !== "") && !general && (
        <p class="banner error" role="alert">
          Not saved: see the marked fields.
        </p>
      )}
      {props.saved && (
        <p class="banner ok" data-kr="settings-saved">
          Saved.
        </p>
      )}
    </div>
  );
}
