/** Settings: the site's opening hours (GET/PUT /v1/sites/{site}/opening-hours) as a form: the time
 * zone, each weekday's hours as ranges, dated exceptions. The API validates; its 422s show at the
 * day or exception they are about, and nothing is stored. */
import { ErrorBanner } from "../components";
import type { PageContext } from "../pages";
import { TextField, SaveState } from "./fields";
import { intervalsOf, intervalsText } from "./form";
import { useEditedSetting } from "./save";

export const DAYS = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
] as const;

export interface OpeningHours {
  timezone: string;
  weekly: Record<string, string[][]>;
  exceptions: Record<string, string[][]>;
}

interface Draft {
  timezone: string;
  days: Record<string, string>;
  exceptions: { date: string; hours: string }[];
}

function draftOf(hours: OpeningHours): Draft {
  return {
    timezone: hours.timezone,
    days: Object.fromEntries(DAYS.map(([day]) => [day, intervalsText(hours.weekly[day])])),
    exceptions: Object.entries(hours.exceptions)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([date, intervals]) => ({ date, hours: intervalsText(intervals) })),
  };
}

function bodyOf(draft: Draft): OpeningHours {
  return {
    timezone: draft.timezone.trim(),
    weekly: Object.fromEntries(DAYS.map(([day]) => [day, intervalsOf(draft.days[day] ?? "")])),
    exceptions: Object.fromEntries(draft.exceptions.map((row) => [row.date.trim(), intervalsOf(row.hours)])),
  };
}

export function OpeningHoursForm({ context }: { context: PageContext }) {
  const path = `/v1/sites/${encodeURIComponent(context.session.site_id)}/opening-hours`;
  const { loaded, draft, setDraft, edit, save } = useEditedSetting(() => context.api.get<OpeningHours>(path), path, draftOf);

  if (loaded.error) return <ErrorBanner error={loaded.error} onRetry={loaded.refresh} />;
  if (!draft) return <p class="boot">Loading the opening hours…</p>;

  const keys = [
    "timezone",
    "weekly",
    ...DAYS.map(([day]) => `weekly.${day}`),
    "exceptions",
    ...draft.exceptions.map((row) => `exceptions.${row.date.trim()}`),
  ];
  const duplicate = draft.exceptions.find(
    (row, index) => draft.exceptions.findIndex((other) => other.date.trim() === row.date.trim()) !== index,
  );
  const submit = async (event: Event) => {
    event.preventDefault();
    if (duplicate) return;
    const body = bodyOf(draft);
    if (await save.run(keys, () => context.api.put<OpeningHours>(path, body))) loaded.refresh();
  };

  return (
    <form class="settings-form" data-kr="settings-hours" onSubmit={submit} noValidate aria-labelledby="hours-title">
      <h2 id="hours-title">Opening hours</h2>
      <p class="muted">
        Chats are offered only within these hours. Write each day's hours as ranges, e.g. <code>08:00–12:00, 13:00–21:00</code>;
        leave a day empty when closed. <code>24:00</code> ends a day.
      </p>
      <TextField
        form="hours"
        name="timezone"
        label="Time zone"
        hint="An IANA time zone, e.g. Europe/Amsterdam"
        value={draft.timezone}
        problems={save.problems}
        hook="hours-timezone"
        onValue={(timezone) => edit({ ...draft, timezone })}
      />
      <div class="field-grid">
        {DAYS.map(([day, label]) => (
          <TextField
            key={day}
            form="hours"
            name={`weekly.${day}`}
            label={label}
            value={draft.days[day] ?? ""}
            problems={save.problems}
            hook={`hours-${day}`}
            onValue={(text) => edit({ ...draft, days: { ...draft.days, [day]: text } })}
          />
        ))}
      </div>
      <h3>Exceptions</h3>
      <p class="muted">A dated exception replaces that day's hours; leave its hours empty for closed all day.</p>
      {save.problems["exceptions"] && (
        <p class="field-error" role="alert">
          {save.problems["exceptions"]}
        </p>
      )}
      <ul class="rows">
        {draft.exceptions.map((row, index) => (
          <li key={index} class="row" data-kr="hours-exception">
            <TextField
              form="hours"
              name={`exceptions.${row.date.trim()}`}
              label={`Exception ${index + 1}: date (YYYY-MM-DD)`}
              value={row.date}
              problems={
                duplicate && duplicate.date.trim() === row.date.trim()
                  ? { ...save.problems, [`exceptions.${row.date.trim()}`]: "this date is listed twice" }
                  : save.problems
              }
              hook="hours-exception-date"
              onValue={(date) => edit({ ...draft, exceptions: draft.exceptions.map((r, i) => (i === index ? { ...r, date } : r)) })}
            />
            <TextField
              form="hours"
              name={`exception-hours-${index}`}
              label={`Exception ${index + 1}: hours`}
              value={row.hours}
              problems={{}}
              hook="hours-exception-hours"
              onValue={(hours) => edit({ ...draft, exceptions: draft.exceptions.map((r, i) => (i === index ? { ...r, hours } : r)) })}
            />
            <button
              type="button"
              class="secondary"
              onClick={() => edit({ ...draft, exceptions: draft.exceptions.filter((_, i) => i !== index) })}
            >
              Remove exception {index + 1}
            </button>
          </li>
        ))}
      </ul>
      <button
        type="button"
        class="secondary"
        data-kr="hours-add-exception"
        onClick={() => edit({ ...draft, exceptions: [...draft.exceptions, { date: "", hours: "" }] })}
      >
        Add an exception
      </button>
      <div class="actions">
        <button type="submit" data-kr="settings-save" disabled={save.saving}>
          {save.saving ? "Saving…" : "Save opening hours"}
        </button>
        <button type="button" class="secondary" onClick={() => (save.reset(), loaded.data && setDraft(draftOf(loaded.data)))}>
          Undo changes
        </button>
      </div>
      <SaveState form="hours" problems={save.problems} failure={save.failure} saved={save.saved} />
    </form>
  );
}
